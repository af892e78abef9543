"""证件与编码校验 — validation and normalisation of the numbers the registry keeps.

One small module per family (``resident_id`` 居民身份证/居住证, ``hongkong`` 香港身份證, ``macau``
澳門身份證, ``home_return`` 回乡证, ``passport`` 护照, ``uscc`` 统一社会信用代码, ``mobile`` 手机号,
``bank_card`` 银行账号); this package exposes the API the services use. Every error is an
``IdentifierInvalid`` whose ``message`` is an English msgid translated in ``registry.po``;
warnings are msgids too. Algorithms and test vectors: ``shared/reference/identifiers.md``.
"""

from __future__ import annotations

from . import messages
from .bank_card import check_bank_account, luhn_check_digit, luhn_valid
from .documents import ValidatedDocument, validate_document
from .mobile import normalise_mobile
from .model import (
    BankAccountInvalid,
    BirthAndSex,
    DocumentInvalid,
    DocumentType,
    IdentifierInvalid,
    MobileInvalid,
    Residency,
    Sex,
    UsccInvalid,
    normalise,
    parse_document_type,
)
from .residency import (
    ALLOWED_RESIDENCIES,
    agrees,
    disagreements,
    document_residency_consistent,
    residency_consistent,
)
from .resident_id import convert_15_to_18, derive_birth_and_sex
from .uscc import ValidatedUscc, validate_uscc

__all__ = [
    "ALLOWED_RESIDENCIES",
    "BankAccountInvalid",
    "BirthAndSex",
    "DocumentInvalid",
    "DocumentType",
    "IdentifierInvalid",
    "MobileInvalid",
    "Residency",
    "Sex",
    "UsccInvalid",
    "ValidatedDocument",
    "ValidatedUscc",
    "agrees",
    "check_bank_account",
    "convert_15_to_18",
    "derive_birth_and_sex",
    "disagreements",
    "document_residency_consistent",
    "luhn_check_digit",
    "luhn_valid",
    "messages",
    "normalise",
    "normalise_mobile",
    "parse_document_type",
    "residency_consistent",
    "validate_document",
    "validate_uscc",
]
