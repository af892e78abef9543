"""Shared vocabulary of the identifier validators: document types (证件类型), residency (居住地),
sex, the error they raise and the common normalisation of typed-in numbers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from renshe import clock
from renshe.errors import DomainError
from renshe.i18n import gettext, lazy

from . import messages

SHANGHAI = ZoneInfo("Asia/Shanghai")


class DocumentType(StrEnum):
    """证件类型 — the values are the stable API contract (``documents[].type``)."""

    PRC_ID = "prc_id"  # 居民身份证
    HKMO_RESIDENCE_PERMIT = "hkmo_residence_permit"  # 港澳居民居住证 (810000 / 820000)
    TW_RESIDENCE_PERMIT = "tw_residence_permit"  # 台湾居民居住证 (830000)
    HOME_RETURN_PERMIT = "home_return_permit"  # 港澳居民来往内地通行证 (回乡证)
    HKID = "hkid"  # 香港身份證
    MACAU_ID = "macau_id"  # 澳門居民身份證
    PASSPORT = "passport"  # 护照


class Residency(StrEnum):
    """居住地 — where the person is a resident."""

    MAINLAND = "mainland"  # 内地
    HONG_KONG = "hong_kong"  # 香港
    MACAO = "macao"  # 澳门
    TAIWAN = "taiwan"  # 台湾
    FOREIGN = "foreign"  # 外籍


class Sex(StrEnum):
    MALE = "male"  # 男 — odd sequence number
    FEMALE = "female"  # 女 — even sequence number


@dataclass(frozen=True, slots=True)
class BirthAndSex:
    """Birth date and sex read from an 18-character resident ID or residence permit number."""

    birth_date: date
    sex: Sex


# Display names (msgids, translated in registry.po) for forms, lists and API documentation.
DOCUMENT_TYPE_LABELS: Final[Mapping[DocumentType, str]] = MappingProxyType(
    {
        DocumentType.PRC_ID: lazy("Resident identity card"),
        DocumentType.HKMO_RESIDENCE_PERMIT: lazy("Residence permit for Hong Kong and Macao residents"),
        DocumentType.TW_RESIDENCE_PERMIT: lazy("Residence permit for Taiwan residents"),
        DocumentType.HOME_RETURN_PERMIT: lazy("Mainland travel permit for Hong Kong and Macao residents"),
        DocumentType.HKID: lazy("Hong Kong identity card"),
        DocumentType.MACAU_ID: lazy("Macao identity card"),
        DocumentType.PASSPORT: lazy("Passport"),
    }
)
RESIDENCY_LABELS: Final[Mapping[Residency, str]] = MappingProxyType(
    {
        Residency.MAINLAND: lazy("Mainland"),
        Residency.HONG_KONG: lazy("Hong Kong"),
        Residency.MACAO: lazy("Macao"),
        Residency.TAIWAN: lazy("Taiwan"),
        Residency.FOREIGN: lazy("Foreign"),
    }
)
SEX_LABELS: Final[Mapping[Sex, str]] = MappingProxyType({Sex.MALE: lazy("Male"), Sex.FEMALE: lazy("Female")})


class IdentifierInvalid(DomainError):
    """A number that cannot be accepted. ``message`` is an English msgid from ``messages``;
    ``params`` fill its ``%(name)s`` placeholders. Never carries the number itself."""

    status_code = 422

    def text(self) -> str:
        """The message in the current locale, placeholders filled."""
        translated = gettext(self.message)
        return translated % self.params if self.params else translated

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class DocumentInvalid(IdentifierInvalid):
    """证件号码无效."""


class UsccInvalid(IdentifierInvalid):
    """统一社会信用代码无效."""


class MobileInvalid(IdentifierInvalid):
    """手机号码无效."""


class BankAccountInvalid(IdentifierInvalid):
    """银行账号无效."""


def today_in_shanghai() -> date:
    """The calendar date in China (the birth-date-in-the-future check uses it)."""
    return clock.today()


def parse_document_type(value: str) -> DocumentType:
    """The document type named by an API or form value, or ``DocumentInvalid``."""
    try:
        return DocumentType(value.strip().lower())
    except ValueError:
        raise DocumentInvalid(messages.UNKNOWN_DOCUMENT_TYPE) from None


# Full-width forms U+FF01…U+FF5E map onto ASCII U+0021…U+007E; U+3000 is the ideographic space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Separators people type inside numbers: brackets around a check digit, Macao slashes, dashes.
_SEPARATORS = frozenset("()/-‐‑‒–—")


def normalise_text(raw: str) -> str:
    """Full-width to ASCII, ASCII letters upper-cased, whitespace and separators removed.

    Only ASCII letters are upper-cased so that the result is predictable (and the function
    idempotent); any other character is left for the format check to refuse.
    """
    text = raw.translate(_FULL_WIDTH)
    return "".join(
        ch.upper() if "a" <= ch <= "z" else ch for ch in text if not ch.isspace() and ch not in _SEPARATORS
    )


def normalise(document_type: DocumentType, raw: str) -> str:
    """The document number as it is compared and stored before family-specific checks.

    The same rules serve every type today (``A123456(3)`` → ``A1234563``, ``1/234567/8`` →
    ``12345678``, ``Ｈ１２３４５６７８`` → ``H12345678``); the type is taken so a family can
    refine it without changing callers.
    """
    del document_type
    return normalise_text(raw)
