"""Validation of a person's identity document (证件) of any type: the one entry point callers use.

``validate_document(type, raw)`` normalises the typed-in number, checks it by its family's rules
and returns what the registry stores and de-duplicates on, or raises ``DocumentInvalid``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import home_return, hongkong, macau, messages, passport, resident_id
from .model import BirthAndSex, DocumentInvalid, DocumentType, Residency, Sex, normalise, today_in_shanghai

_PERMIT_RESIDENCY = {
    resident_id.HONG_KONG_PERMIT: Residency.HONG_KONG,
    resident_id.MACAO_PERMIT: Residency.MACAO,
    resident_id.TAIWAN_PERMIT: Residency.TAIWAN,
}


@dataclass(frozen=True, slots=True)
class ValidatedDocument:
    """A valid document number.

    ``number`` is the canonical stored form; ``identity_key`` is what de-duplication keys on (the
    number itself, except the lifetime part of a home-return permit). ``residency`` is what the
    number itself implies (None for passports). ``warnings`` are msgids the clerk confirms.
    """

    type: DocumentType
    number: str
    identity_key: str
    residency: Residency | None = None
    birth_date: date | None = None
    sex: Sex | None = None
    renewal_count: int | None = None
    warnings: tuple[str, ...] = ()

    @property
    def derived(self) -> BirthAndSex | None:
        """Birth date and sex read from the number (18-character IDs and permits only)."""
        if self.birth_date is None or self.sex is None:
            return None
        return BirthAndSex(self.birth_date, self.sex)


def _resident_id(document_type: DocumentType, number: str, today: date) -> ValidatedDocument:
    warnings: tuple[str, ...] = ()
    if document_type is DocumentType.PRC_ID:
        if len(number) == 15 and number.isdigit():
            number = resident_id.convert_15_to_18(number)
            warnings = (messages.CONVERTED_FROM_15,)
        if number[:2].isdigit() and int(number[:2]) in resident_id.PERMIT_PROVINCES:
            raise DocumentInvalid(messages.RESIDENT_ID_IS_PERMIT)
    elif len(number) != 18:
        raise DocumentInvalid(messages.PERMIT_LENGTH)
    elif document_type is DocumentType.HKMO_RESIDENCE_PERMIT:
        if number[:6] not in (resident_id.HONG_KONG_PERMIT, resident_id.MACAO_PERMIT):
            raise DocumentInvalid(messages.HKMO_PERMIT_PREFIX)
    elif number[:6] != resident_id.TAIWAN_PERMIT:
        raise DocumentInvalid(messages.TW_PERMIT_PREFIX)
    derived = resident_id.check_structure(number, today)
    return ValidatedDocument(
        type=document_type,
        number=number,
        identity_key=number,
        residency=_PERMIT_RESIDENCY.get(number[:6], Residency.MAINLAND),
        birth_date=derived.birth_date,
        sex=derived.sex,
        warnings=warnings + resident_id.age_warnings(derived.birth_date, today),
    )


def validate_document(document_type: DocumentType, raw: str, today: date | None = None) -> ValidatedDocument:
    """Normalise and check a document number of the given type.

    ``today`` (default: today in Asia/Shanghai) bounds birth dates; tests pass a fixed date.
    Resident IDs: 15-digit numbers are converted to 18 (the 18-digit form is stored, with a
    warning), ``x`` is stored as ``X``, numbers of a Hong Kong/Macao/Taiwan permit (81/82/83) are
    refused as ``prc_id`` with a message pointing to the permit type.
    """
    document_type = DocumentType(document_type)
    number = normalise(document_type, raw)
    if not number:
        raise DocumentInvalid(messages.ENTER_DOCUMENT_NUMBER)
    match document_type:
        case DocumentType.PRC_ID | DocumentType.HKMO_RESIDENCE_PERMIT | DocumentType.TW_RESIDENCE_PERMIT:
            return _resident_id(document_type, number, today or today_in_shanghai())
        case DocumentType.HOME_RETURN_PERMIT:
            permit = home_return.validate(number)
            return ValidatedDocument(
                type=document_type,
                number=permit.number,
                identity_key=permit.identity_key,
                residency=permit.residency,
                renewal_count=permit.renewal_count,
            )
        case DocumentType.HKID:
            number = hongkong.validate(number)
            return ValidatedDocument(document_type, number, number, Residency.HONG_KONG)
        case DocumentType.MACAU_ID:
            number = macau.validate(number)
            return ValidatedDocument(document_type, number, number, Residency.MACAO)
        case DocumentType.PASSPORT:
            number = passport.validate(number)
            return ValidatedDocument(document_type, number, number)
    raise DocumentInvalid(messages.UNKNOWN_DOCUMENT_TYPE)  # pragma: no cover - the match is exhaustive
