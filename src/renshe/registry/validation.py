"""Checking what a clerk entered (校验): every field at once, so the form or API answer lists all
problems together. Numbers go through :mod:`renshe.registry.identifiers`; messages are msgids and
never contain the value checked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from renshe import date_range, text_rules
from renshe.i18n import lazy
from renshe.registry import identifiers as ids
from renshe.registry.identifiers import DocumentType, Residency, Sex, ValidatedDocument
from renshe.registry.identifiers.model import today_in_shanghai
from renshe.registry.model import BankInput, DocumentInput, Education, PersonInput, Problems

ENTER_NAME = lazy("Enter the name.")
NAME_CHARACTERS = lazy("A name is written in Chinese characters or Latin letters.")
TOO_LONG = lazy("This is too long (at most %(max)s characters).")
ENTER_A_DOCUMENT = lazy("Enter at least one identity document.")
DOCUMENT_TWICE = lazy("This document is entered twice.")
CHOOSE_RESIDENCY = lazy("Choose the residency.")
UNKNOWN_RESIDENCY = lazy("Choose a residency from the list.")
RESIDENCY_DISAGREES = lazy("The residency does not match the identity documents.")
DOCUMENTS_DISAGREE = lazy(
    "The birth date or sex read from this document differs from another document of the person."
)
UNKNOWN_SEX = lazy("Choose the sex from the list.")
UNKNOWN_EDUCATION = lazy("Choose an education level from the list.")
DATE_IN_FUTURE = lazy("This date is in the future.")
BRANCH_CODE_FORMAT = lazy("A branch code has up to 20 letters or digits.")

NAME_MAX = 100
TEXT_LIMITS = {"school": 200, "address": 500, "notes": 2000, "account_name": 100, "bank_name": 100}
# Chinese characters, Latin letters (accents too), the middle dot of transliterated names,
# spaces, hyphens, apostrophes and periods (``O'Neil``, ``J. Smith``).
_NAME = re.compile(rf"^[{text_rules.CJK_CLASS}A-Za-zÀ-ÖØ-öø-ɏ·•・.'’ -]+$")
_BRANCH = re.compile(r"^[0-9A-Za-z]{1,20}$")


@dataclass(frozen=True, slots=True)
class CheckedBank:
    digits: str
    account_name: str | None
    bank_name: str | None
    branch_code: str | None


@dataclass(frozen=True, slots=True)
class CheckedPerson:
    name: str
    residency: str
    sex: str | None
    birth_date: date | None
    mobile: str | None
    education: str | None
    graduated_on: date | None
    school: str | None
    bank: CheckedBank | None
    address: str | None
    notes: str | None
    documents: tuple[ValidatedDocument, ...]


def clean_text(value: str | None, field: str, problems: Problems) -> str | None:
    """Trimmed free text, None when empty, an error when longer than its limit."""
    if value is None:
        return None
    text = value.strip()
    limit = TEXT_LIMITS.get(field.rsplit(".", 1)[-1], 500)
    if len(text) > limit:
        problems.error(field, TOO_LONG, {"max": limit})
    elif (invisible := text_rules.invisible_error(text)) is not None:
        problems.error(field, invisible)
    return text or None


def check_name(value: str | None, problems: Problems, field: str = "name") -> str:
    name = " ".join((value or "").split())
    if not name:
        problems.error(field, ENTER_NAME)
    elif len(name) > NAME_MAX:
        problems.error(field, TOO_LONG, {"max": NAME_MAX})
    elif (invisible := text_rules.invisible_error(name)) is not None:
        problems.error(field, invisible)
    elif _NAME.fullmatch(name) is None:
        problems.error(field, NAME_CHARACTERS)
    return name


def check_documents(
    documents: Sequence[DocumentInput],
    problems: Problems,
    today: date,
    *,
    prefix: str = "documents",
    start: int = 0,
) -> list[tuple[int, ValidatedDocument]]:
    """Each valid document with its position; errors and warnings at ``documents[i].…``."""
    valid: list[tuple[int, ValidatedDocument]] = []
    seen: set[tuple[str, str]] = set()
    for offset, entered in enumerate(documents):
        i = start + offset
        try:
            doc_type = ids.parse_document_type(entered.type or "")
        except ids.IdentifierInvalid as exc:
            problems.error(f"{prefix}[{i}].type", exc.message)
            continue
        try:
            doc = ids.validate_document(doc_type, entered.number or "", today)
        except ids.IdentifierInvalid as exc:
            problems.error(f"{prefix}[{i}].number", exc.message, exc.params)
            continue
        key = (doc.type.value, doc.identity_key)
        if key in seen:
            problems.error(f"{prefix}[{i}].number", DOCUMENT_TWICE)
            continue
        seen.add(key)
        for warning in doc.warnings:
            problems.warn(f"{prefix}[{i}].number", warning)
        valid.append((i, doc))
    return valid


def check_bank(bank: BankInput | None, problems: Problems, prefix: str = "bank") -> CheckedBank | None:
    if bank is None:
        return None
    digits = ""
    try:
        digits, warnings = ids.check_bank_account(bank.account_number or "")
        for warning in warnings:
            problems.warn(f"{prefix}.account_number", warning)
    except ids.IdentifierInvalid as exc:
        problems.error(f"{prefix}.account_number", exc.message)
    account_name = None
    if bank.account_name and bank.account_name.strip():
        account_name = check_name(bank.account_name, problems, f"{prefix}.account_name")
    branch = (bank.branch_code or "").strip() or None
    if branch is not None and _BRANCH.fullmatch(branch) is None:
        problems.error(f"{prefix}.branch_code", BRANCH_CODE_FORMAT)
    return CheckedBank(
        digits=digits,
        account_name=account_name,
        bank_name=clean_text(bank.bank_name, f"{prefix}.bank_name", problems),
        branch_code=branch,
    )


def check_mobile(raw: str | None, problems: Problems) -> str | None:
    if raw is None or not raw.strip():
        return None
    try:
        return ids.normalise_mobile(raw)
    except ids.IdentifierInvalid as exc:
        problems.error("mobile", exc.message)
        return None


def check_choice(value: str | None, choices: type[Sex] | type[Education] | type[Residency],
                 field: str, msgid: str, problems: Problems) -> str | None:  # fmt: skip
    if value is None or value == "":
        return None
    try:
        return choices(value).value
    except ValueError:
        problems.error(field, msgid)
        return None


def check_past_date(value: date | None, field: str, problems: Problems, today: date) -> date | None:
    if value is not None and value > today:
        problems.error(field, DATE_IN_FUTURE)
    elif value is not None and not date_range.in_range(value):
        problems.error(field, date_range.OUT_OF_RANGE)
    return value


def check_identity(
    residency: str | None,
    sex: str | None,
    birth_date: date | None,
    documents: Sequence[tuple[int, ValidatedDocument]],
    problems: Problems,
) -> tuple[str, str | None, date | None]:
    """Residency consistent with every document; entered sex and birth date agree with the
    numbers (and are taken from them when not entered). Returns (residency, sex, birth date)."""
    implied = {doc.residency for _, doc in documents if doc.residency is not None}
    if residency is None:
        if len(implied) == 1:
            residency = next(iter(implied)).value
        elif documents or not problems.errors:
            # (when every document was refused, their errors say enough)
            problems.error("residency", CHOOSE_RESIDENCY)
    consistent = all(
        ids.document_residency_consistent(doc, Residency(residency)) for _, doc in documents if residency
    )
    if residency is not None and "residency" not in problems.errors and not consistent:
        problems.error("residency", RESIDENCY_DISAGREES)
    derived: ids.BirthAndSex | None = None
    for i, doc in documents:
        if doc.derived is None:
            continue
        if derived is not None and derived != doc.derived:
            problems.error(f"documents[{i}].number", DOCUMENTS_DISAGREE)
            continue
        derived = doc.derived
    for field, msgid in ids.disagreements(
        Sex(sex) if sex else None, birth_date, derived
    ).items():  # fmt: skip
        problems.error(field, msgid)
    if derived is not None:
        sex = sex or derived.sex.value
        birth_date = birth_date or derived.birth_date
    return residency or Residency.MAINLAND.value, sex, birth_date


def check_person(data: PersonInput, problems: Problems, today: date | None = None) -> CheckedPerson:
    """Everything about a new person; raise nothing, collect into ``problems``."""
    today = today or today_in_shanghai()
    name = check_name(data.name, problems)
    if not data.documents:
        problems.error("documents", ENTER_A_DOCUMENT)
    documents = check_documents(data.documents, problems, today)
    residency = check_choice(data.residency, Residency, "residency", UNKNOWN_RESIDENCY, problems)
    sex = check_choice(data.sex, Sex, "sex", UNKNOWN_SEX, problems)
    birth_date = check_past_date(data.birth_date, "birth_date", problems, today)
    residency, sex, birth_date = check_identity(residency, sex, birth_date, documents, problems)
    return CheckedPerson(
        name=name,
        residency=residency,
        sex=sex,
        birth_date=birth_date,
        mobile=check_mobile(data.mobile, problems),
        education=check_choice(data.education, Education, "education", UNKNOWN_EDUCATION, problems),
        graduated_on=check_past_date(data.graduated_on, "graduated_on", problems, today),
        school=clean_text(data.school, "school", problems),
        bank=check_bank(data.bank, problems),
        address=clean_text(data.address, "address", problems),
        notes=clean_text(data.notes, "notes", problems),
        documents=tuple(doc for _, doc in documents),
    )


__all__ = [
    "CheckedBank",
    "CheckedPerson",
    "DocumentType",
    "check_bank",
    "check_choice",
    "check_documents",
    "check_identity",
    "check_mobile",
    "check_name",
    "check_person",
    "clean_text",
]
