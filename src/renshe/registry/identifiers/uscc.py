"""统一社会信用代码 (USCC, GB 32100-2015).

18 characters from the alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY`` (no I O S V Z): registration
authority (登记管理部门), entity type (机构类别), 6-digit address code (登记管理机关行政区划码),
9-character organization code (主体标识码, GB 11714) and a check character. Check: weights
``3^i mod 31``, ``S = Σ value·w``, check = ``alphabet[(31 − S mod 31) mod 31]``.

The embedded organization code has its own GB 11714 check. Codes issued to sole proprietors
(个体工商户) and some others do not always satisfy it, so a failure is only a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import messages
from .model import UsccInvalid, normalise_text

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
PATTERN = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
FORBIDDEN_LETTERS = frozenset("IOSVZ")

# GB 11714: 8 characters (digits, letters A=10 … Z=35) with weights 3 7 9 10 5 8 4 2 and a
# check 11 − S mod 11 written X for 10 and 0 for 11.
ORGANIZATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True, slots=True)
class ValidatedUscc:
    code: str
    registration_authority: str  # 登记管理部门代码, e.g. 9 = 市场监督管理 (工商)
    entity_type: str  # 机构类别代码, e.g. 1 = 企业, 2 = 个体工商户
    address_code: str  # 6-digit 行政区划码
    organization_code: str  # 9-character 组织机构代码 incl. its own check
    warnings: tuple[str, ...] = ()


def check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def organization_check_character(first8: str) -> str:
    """The GB 11714 check character of an organization code's first 8 characters."""
    total = sum(_value(ch) * weight for ch, weight in zip(first8, ORGANIZATION_WEIGHTS, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def validate_uscc(raw: str) -> ValidatedUscc:
    """Normalise and check a credit code; ``UsccInvalid`` names the problem without the code."""
    code = normalise_text(raw)
    if not code:
        raise UsccInvalid(messages.ENTER_USCC)
    if len(code) != 18:
        raise UsccInvalid(messages.USCC_LENGTH)
    if FORBIDDEN_LETTERS.intersection(code):
        raise UsccInvalid(messages.USCC_LETTERS)
    if PATTERN.fullmatch(code) is None:
        raise UsccInvalid(messages.USCC_FORMAT)
    if check_character(code[:17]) != code[17]:
        raise UsccInvalid(messages.WRONG_CHECK_CHARACTER)
    organization = code[8:17]
    warnings: tuple[str, ...] = ()
    if organization_check_character(organization[:8]) != organization[8]:
        warnings = (messages.USCC_ORGANIZATION_CODE,)
    return ValidatedUscc(
        code=code,
        registration_authority=code[0],
        entity_type=code[1],
        address_code=code[2:8],
        organization_code=organization,
        warnings=warnings,
    )
