"""Which residency (居住地) each document type allows, and whether entered sex and birth date agree
with those read from an ID number.

Rules:

* ``prc_id`` 居民身份证 → mainland (a 71-prefixed card is still a mainland card).
* ``hkmo_residence_permit`` → Hong Kong (810000) or Macao (820000); the number decides which.
* ``tw_residence_permit`` → Taiwan.
* ``home_return_permit`` → Hong Kong (``H``) or Macao (``M``); the letter decides which.
* ``hkid`` → Hong Kong; ``macau_id`` → Macao.
* ``passport`` → any residency: PRC, HKSAR and Macao SAR passports exist beside foreign ones. A
  foreign resident can still hold nothing but a passport, since no other type allows ``foreign``.

A person with several documents must be consistent with every one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType

from . import messages
from .documents import ValidatedDocument
from .model import BirthAndSex, DocumentType, Residency, Sex

ALLOWED_RESIDENCIES: Mapping[DocumentType, frozenset[Residency]] = MappingProxyType(
    {
        DocumentType.PRC_ID: frozenset({Residency.MAINLAND}),
        DocumentType.HKMO_RESIDENCE_PERMIT: frozenset({Residency.HONG_KONG, Residency.MACAO}),
        DocumentType.TW_RESIDENCE_PERMIT: frozenset({Residency.TAIWAN}),
        DocumentType.HOME_RETURN_PERMIT: frozenset({Residency.HONG_KONG, Residency.MACAO}),
        DocumentType.HKID: frozenset({Residency.HONG_KONG}),
        DocumentType.MACAU_ID: frozenset({Residency.MACAO}),
        DocumentType.PASSPORT: frozenset(Residency),
    }
)


def residency_consistent(document_type: DocumentType, residency: Residency) -> bool:
    """Whether a document of this type can belong to a person of this residency."""
    return Residency(residency) in ALLOWED_RESIDENCIES[DocumentType(document_type)]


def document_residency_consistent(document: ValidatedDocument, residency: Residency) -> bool:
    """Like ``residency_consistent``, but also honours what the number implies (810000 vs
    820000, ``H`` vs ``M``)."""
    if document.residency is not None:
        return document.residency == residency
    return residency_consistent(document.type, residency)


def disagreements(
    entered_sex: Sex | None, entered_birth: date | None, derived: BirthAndSex | None
) -> dict[str, str]:
    """Field → msgid for each entered value that contradicts the ID number (none when the number
    gives no birth date and sex, or nothing was entered)."""
    errors: dict[str, str] = {}
    if derived is None:
        return errors
    if entered_sex is not None and Sex(entered_sex) != derived.sex:
        errors["sex"] = messages.SEX_DISAGREES
    if entered_birth is not None and entered_birth != derived.birth_date:
        errors["birth_date"] = messages.BIRTH_DATE_DISAGREES
    return errors


def agrees(entered_sex: Sex | None, entered_birth: date | None, derived: BirthAndSex | None) -> bool:
    """The "must agree if also entered" rule: True unless an entered value contradicts the number."""
    return not disagreements(entered_sex, entered_birth, derived)
