"""逐行校验 — every row of an import checked with the registry's own validators.

A row becomes the same ``PersonInput`` / ``EnterpriseInput`` the registration form builds, and
goes through :func:`renshe.registry.validation.check_person` (enterprises: the same checks as
:func:`renshe.registry.enterprises.register_enterprise`). On top: a document (or credit code) that
appears twice in the file, and one already registered in this district. Issues carry the
spreadsheet row number, the column header as the clerk wrote it and a message id (translated
when shown), never the cell's value.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from renshe.db.tenant import current_transaction
from renshe.i18n import lazy
from renshe.registry import enterprises as ent
from renshe.registry import identifiers as ids
from renshe.registry import validation as check
from renshe.registry.identifiers import messages
from renshe.registry.imports import columns as cols
from renshe.registry.imports.reader import Row, Sheet
from renshe.registry.model import BankInput, DocumentInput, EnterpriseInput, PersonInput, Problems
from renshe.registry.sealing import document_index

ENTER_DATE = lazy("Enter a date such as 2020-07-01.")
ENTER_DOCUMENT_TYPE = lazy("Enter the document type.")
UNKNOWN_RESIDENCY_WORD = lazy("Unknown residency: write 内地, 香港, 澳门, 台湾 or 外籍.")
UNKNOWN_SEX_WORD = lazy("Unknown sex: write 男 or 女.")
UNKNOWN_EDUCATION_WORD = lazy("Unknown education level: write for example 高中, 大专, 本科 or 硕士.")
DUPLICATE_IN_FILE = lazy("The same document is already on row %(row)s of this file.")
DUPLICATE_USCC_IN_FILE = lazy("The same credit code is already on row %(row)s of this file.")
STORED_AS_NUMBER = lazy(
    "Excel stored this number as a number and changed its last digits. Format the column as text, "
    "type the number again and upload the file again."
)
MISSING_COLUMN = lazy("The column %(column)s is missing.")
CHUNK = 500
Progress = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Issue:
    row: int
    column: str
    message: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "params": self.params}


@dataclass(slots=True)
class Checked:
    """One row without errors: what to register, and the keys it is found by."""

    row: int
    data: PersonInput | EnterpriseInput
    keys: list[tuple[str, bytes]]  # (document type or "uscc", blind index or code bytes)


@dataclass(slots=True)
class Report:
    rows: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    registered: list[dict[str, Any]] = field(default_factory=list)  # {"row", "id"}
    unknown_columns: tuple[str, ...] = ()
    good: list[Checked] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({i.row for i in self.errors})

    def as_json(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "error_rows": self.error_rows,
            "errors": [i.as_json() for i in self.errors],
            "warnings": [i.as_json() for i in self.warnings],
            "registered": self.registered,
            "unknown_columns": list(self.unknown_columns),
        }


def missing_columns(kind: str, colmap: cols.ColumnMap, header_row: int) -> list[Issue]:
    return [
        Issue(
            header_row,
            cols.COLUMNS_BY_KIND[kind][f][0],
            MISSING_COLUMN,
            {"column": cols.COLUMNS_BY_KIND[kind][f][0]},
        )
        for f in cols.REQUIRED[kind]
        if f not in colmap.positions
    ]


class _RowProblems:
    """Field errors of one row, addressed by column."""

    def __init__(self, row: Row, colmap: cols.ColumnMap) -> None:
        self.row, self.colmap = row, colmap
        self.errors: list[Issue] = []

    def add(self, fld: str, message: str, params: dict[str, Any] | None = None) -> None:
        if any(i.column == self.colmap.header_of(fld) for i in self.errors):
            return  # one message per cell, the first is the most specific
        self.errors.append(Issue(self.row.number, self.colmap.header_of(fld), message, params or {}))

    def lossy(self, fld: str) -> bool:
        at = self.colmap.positions.get(fld)
        if at is not None and at in self.row.lossy:
            self.add(fld, STORED_AS_NUMBER)
            return True
        return False

    def word(self, fld: str, parse: Callable[[str], str | None], message: str) -> str | None:
        value = parse(self.colmap.value(self.row.cells, fld))
        if value == "?":
            self.add(fld, message)
            return None
        return value

    def day(self, fld: str) -> date | None:
        try:
            return cols.parse_date(self.colmap.value(self.row.cells, fld))
        except ValueError:
            self.add(fld, ENTER_DATE)
            return None


def _bank(p: _RowProblems) -> BankInput | None:
    v = p.colmap.value
    cells = p.row.cells
    parts = [v(cells, f) for f in ("account_number", "account_name", "bank_name", "branch_code")]
    if not any(parts):
        return None
    p.lossy("account_number")
    return BankInput(parts[0], parts[1] or None, parts[2] or None, parts[3] or None)


_PERSON_FIELDS = {
    "name": "name",
    "residency": "residency",
    "sex": "sex",
    "birth_date": "birth_date",
    "mobile": "mobile",
    "education": "education",
    "graduated_on": "graduated_on",
    "school": "school",
    "bank.account_number": "account_number",
    "bank.account_name": "account_name",
    "bank.bank_name": "bank_name",
    "bank.branch_code": "branch_code",
    "address": "address",
    "notes": "notes",
    "documents": "doc_number",
}
_DOC_FIELDS = (("doc_type", "doc_number"), ("doc_type_2", "doc_number_2"), ("doc_type_3", "doc_number_3"))


def person_row(
    row: Row, colmap: cols.ColumnMap, today: date
) -> tuple[PersonInput | None, list[Issue], list[Issue], list[tuple[str, str]]]:
    """(input, errors, warnings, document keys) of one row."""
    p = _RowProblems(row, colmap)
    v = colmap.value
    documents: list[DocumentInput] = []
    doc_columns: list[tuple[str, str]] = []
    for type_field, number_field in _DOC_FIELDS:
        number = v(row.cells, number_field)
        kind = p.word(type_field, cols.document_type, messages.UNKNOWN_DOCUMENT_TYPE)
        if p.lossy(number_field):
            continue
        if not number and kind is None:
            continue
        if kind is None:
            if v(row.cells, type_field) == "":
                p.add(type_field, ENTER_DOCUMENT_TYPE)
            continue
        documents.append(DocumentInput(kind, number))
        doc_columns.append((type_field, number_field))
    if not any(v(row.cells, f) for pair in _DOC_FIELDS for f in pair):
        p.add("doc_number", check.ENTER_A_DOCUMENT)
    p.lossy("mobile")
    data = PersonInput(
        name=v(row.cells, "name"),
        documents=documents,
        residency=p.word("residency", cols.residency, UNKNOWN_RESIDENCY_WORD),
        sex=p.word("sex", cols.sex, UNKNOWN_SEX_WORD),
        birth_date=p.day("birth_date"),
        mobile=v(row.cells, "mobile") or None,
        education=p.word("education", cols.education, UNKNOWN_EDUCATION_WORD),
        graduated_on=p.day("graduated_on"),
        school=v(row.cells, "school") or None,
        bank=_bank(p),
        address=v(row.cells, "address") or None,
        notes=v(row.cells, "notes") or None,
    )
    problems = Problems()
    check.check_person(data, problems, today)
    for key, msgid in problems.errors.items():
        if key == "documents" and p.errors:
            continue  # the document cells already say what is wrong
        p.add(_column_of(key, doc_columns), msgid, problems.params.get(key))
    warnings = [
        Issue(row.number, colmap.header_of(_column_of(k, doc_columns)), m)
        for k, m in problems.warnings.items()
    ]
    keys: list[tuple[str, str]] = []
    if not p.errors:
        for doc in documents:
            valid = ids.validate_document(ids.DocumentType(doc.type), doc.number, today)
            keys.append((valid.type.value, valid.identity_key))
    return (data if not p.errors else None), p.errors, warnings, keys


def _column_of(key: str, doc_columns: list[tuple[str, str]]) -> str:
    if key.startswith("documents["):
        i = int(key[len("documents[") : key.index("]")])
        type_field, number_field = doc_columns[i] if i < len(doc_columns) else _DOC_FIELDS[0]
        return type_field if key.endswith(".type") else number_field
    return _PERSON_FIELDS.get(key, key)


def enterprise_row(
    row: Row, colmap: cols.ColumnMap, today: date
) -> tuple[EnterpriseInput | None, list[Issue], list[Issue], str | None]:
    """(input, errors, warnings, credit code) — the checks of ``register_enterprise``."""
    p = _RowProblems(row, colmap)
    v = colmap.value
    problems = Problems()
    ent._enterprise_name(v(row.cells, "name"), problems)
    code: str | None = None
    try:
        valid = ids.validate_uscc(v(row.cells, "uscc"))
        code = valid.code
        for warning in valid.warnings:
            problems.warn("uscc", warning)
    except ids.IdentifierInvalid as exc:
        problems.error("uscc", exc.message)
    ent._representative(v(row.cells, "legal_representative"), problems)
    registered_on = p.day("registered_on")
    check.check_past_date(registered_on, "registered_on", problems, today)
    ent._district(v(row.cells, "registered_district"), problems)
    bank = _bank(p)
    ent._account_name_check(bank, problems)
    check.clean_text(v(row.cells, "address") or None, "address", problems)
    check.clean_text(v(row.cells, "notes") or None, "notes", problems)
    bank_fields = {
        "bank.account_number": "account_number",
        "bank.account_name": "account_name",
        "bank.bank_name": "bank_name",
        "bank.branch_code": "branch_code",
    }
    for key, msgid in problems.errors.items():
        p.add(bank_fields.get(key, key), msgid, problems.params.get(key))
    warnings = [
        Issue(row.number, colmap.header_of(bank_fields.get(k, k)), m) for k, m in problems.warnings.items()
    ]
    data = EnterpriseInput(
        name=v(row.cells, "name"),
        uscc=v(row.cells, "uscc"),
        legal_representative=v(row.cells, "legal_representative"),
        registered_on=registered_on,
        registered_district=v(row.cells, "registered_district") or None,
        bank=bank,
        address=v(row.cells, "address") or None,
        notes=v(row.cells, "notes") or None,
    )
    return (data if not p.errors else None), p.errors, warnings, code


async def check_sheet(kind: str, sheet: Sheet, today: date, progress: Progress | None = None) -> Report:
    """Every row checked, duplicates inside the file found; ``progress(done, total)`` per chunk."""
    colmap = cols.map_columns(kind, sheet.header)
    report = Report(rows=len(sheet.rows), unknown_columns=colmap.unknown)
    report.errors.extend(missing_columns(kind, colmap, sheet.header_row))
    if report.errors:
        return report
    first_seen: dict[tuple[str, str], int] = {}
    total = len(sheet.rows)
    for start in range(0, total, CHUNK):
        for row in sheet.rows[start : start + CHUNK]:
            _check_row(kind, row, colmap, today, first_seen=first_seen, report=report)
        if progress is not None:
            await progress(min(start + CHUNK, total), total)
    return report


def _check_row(
    kind: str,
    row: Row,
    colmap: cols.ColumnMap,
    today: date,
    *,
    first_seen: dict[tuple[str, str], int],
    report: Report,
) -> None:
    data: PersonInput | EnterpriseInput | None
    if kind == "people":
        data, errors, warnings, doc_keys = person_row(row, colmap, today)
        message, column = DUPLICATE_IN_FILE, colmap.header_of("doc_number")
    else:
        data, errors, warnings, code = enterprise_row(row, colmap, today)
        doc_keys = [("uscc", code)] if code else []
        message, column = DUPLICATE_USCC_IN_FILE, colmap.header_of("uscc")
    if not errors:
        for key in doc_keys:
            if key in first_seen:
                errors.append(Issue(row.number, column, message, {"row": first_seen[key]}))
                break
        for key in doc_keys:
            first_seen.setdefault(key, row.number)
    report.errors.extend(errors)
    report.warnings.extend(warnings)
    if not errors and data is not None:
        keys = [(t, document_index(t, k) if t != "uscc" else k.encode()) for t, k in doc_keys]
        report.good.append(Checked(row.number, data, keys))


async def mark_registered(kind: str, tenant_id: UUID, report: Report) -> None:
    """Move rows whose document (credit code) this district already holds into ``registered``:
    they are skipped by the import — importing the same file twice creates nobody twice."""
    conn = current_transaction().connection
    existing: dict[tuple[str, bytes], UUID] = {}
    if kind == "people":
        indexes = [k for c in report.good for _, k in c.keys]
        for start in range(0, len(indexes), 5000):
            rows = await conn.fetch(
                """SELECT doc_type, number_index, person_id FROM person_documents
                   WHERE tenant_id = $1 AND number_index = ANY($2::bytea[])""",
                tenant_id,
                indexes[start : start + 5000],
            )
            existing.update({(r["doc_type"], bytes(r["number_index"])): r["person_id"] for r in rows})
    else:
        codes = [k.decode() for c in report.good for _, k in c.keys]
        rows = await conn.fetch(
            "SELECT uscc, id FROM enterprises WHERE tenant_id = $1 AND uscc = ANY($2::text[])",
            tenant_id,
            codes,
        )
        existing.update({("uscc", r["uscc"].encode()): r["id"] for r in rows})
    keep: list[Checked] = []
    for checked in report.good:
        holder = next((existing[k] for k in checked.keys if k in existing), None)
        if holder is None:
            keep.append(checked)
        else:
            report.registered.append({"row": checked.row, "id": str(holder)})
    report.good = keep
