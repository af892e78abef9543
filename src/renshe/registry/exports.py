"""导出 — the people and enterprise lists as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX
(every cell typed as text, so Excel neither rounds an account number nor evaluates anything).

Values are masked unless the exporter may unmask (a district clerk, reviewer or finance officer)
and gives a reason; both kinds of export are audited, the unmasked one with its reason. A masked
export gives the year of birth, as the pages and the API do: the full date with the masked ID's
first six and last two characters would leave about nine candidate numbers. A cell
that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'``
(formula injection: a spreadsheet would otherwise run it as a formula).
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe import text_rules
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import Forbidden
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry import listing
from renshe.registry import repository as repo
from renshe.registry.identifiers.model import (
    DOCUMENT_TYPE_LABELS,
    RESIDENCY_LABELS,
    SEX_LABELS,
    DocumentType,
    Residency,
    Sex,
)
from renshe.registry.model import (
    EDUCATION_LABELS,
    Education,
    Enterprise,
    EnterpriseFilter,
    PeopleFilter,
    Problems,
)
from renshe.registry.sealing import DOCUMENTS, ENTERPRISES, PERSONS, unseal
from renshe.registry.service import Caller
from renshe.registry.unmask import ENTER_REASON, MAX_REASON, MIN_REASON, REASON_TOO_LONG
from renshe.tenancy.names import unit_name
from renshe.web.templating import format_datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def format_of(asked: str | None) -> str:
    """The export format asked for, or CSV for anything else (an old link, a typo)."""
    return asked if asked in FORMATS else "csv"


PERSON_HEADERS: tuple[str, ...] = (
    lazy("Name"),
    lazy("Document type"),
    lazy("Document number"),
    lazy("Sex"),
    lazy("Year of birth"),  # the full date (DATE_OF_BIRTH) in an unmasked export only
    lazy("Residency"),
    lazy("Mobile"),
    lazy("Education"),
    lazy("Graduation date"),
    lazy("School"),
    lazy("Account name"),
    lazy("Bank account"),
    lazy("Bank"),
    lazy("Address"),
    lazy("Notes"),
    lazy("District"),
    lazy("Registered at"),
)
DATE_OF_BIRTH = lazy("Date of birth")
BIRTH_COLUMN = PERSON_HEADERS.index("Year of birth")
ENTERPRISE_HEADERS: tuple[str, ...] = (
    lazy("Enterprise name"),
    lazy("Unified social credit code"),
    lazy("Legal representative"),
    lazy("Registration date"),
    lazy("Registered district"),
    lazy("Account name"),
    lazy("Bank account"),
    lazy("Bank"),
    lazy("Address"),
    lazy("Notes"),
    lazy("District"),
    lazy("Registered at"),
)


def neutralise(value: object) -> str:
    """The cell text, with a leading ``'`` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[object]], title: str = "Sheet1") -> bytes:
    """A workbook whose every cell is a string with the text number format ``@``."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])

    def cells(values: Sequence[object], bold: bool = False) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            cell.data_type = "s"  # never a formula, whatever the text
            cell.number_format = "@"
            if bold:
                cell.font = Font(bold=True)
            out.append(cell)
        return out

    sheet.append(cells(header, bold=True))
    for row in rows:
        sheet.append(cells(row))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def render(file_format: str, header: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> bytes:
    return to_xlsx(header, rows, title) if file_format == "xlsx" else to_csv(header, rows)


async def render_in_thread(
    file_format: str, header: Sequence[str], rows: Sequence[Sequence[object]], title: str
) -> bytes:
    """``render`` in a worker thread, for request handlers: 100,000 rows are seconds of CPU, which
    on the event loop would hold every other request of the process (even ``/healthz``)."""
    return await asyncio.to_thread(render, file_format, header, rows, title)


def _label(labels: Any, value: str | None, enum: Any) -> str:
    if not value:
        return ""
    try:
        return _(labels[enum(value)])
    except (KeyError, ValueError):
        return value


@dataclass(frozen=True, slots=True)
class Clear:
    """Clear values of one person for an unmasked export."""

    name: str
    documents: list[str]
    mobile: str | None
    bank_account: str | None


async def _clear_people(tenant_id: UUID, ids: list[UUID]) -> dict[UUID, Clear]:
    conn = repo.conn()
    docs: dict[UUID, list[str]] = {}
    for r in await conn.fetch(
        """SELECT id, person_id, number_enc FROM person_documents WHERE tenant_id = $1
           AND person_id = ANY($2::uuid[]) ORDER BY person_id, position, created_at""",
        tenant_id,
        ids,
    ):
        docs.setdefault(r["person_id"], []).append(
            unseal(DOCUMENTS, "number", tenant_id, r["id"], r["number_enc"])
        )
    found: dict[UUID, Clear] = {}
    for r in await conn.fetch(
        """SELECT id, name, mobile_enc, bank_account_enc FROM persons
           WHERE tenant_id = $1 AND id = ANY($2::uuid[])""",
        tenant_id,
        ids,
    ):
        mobile = unseal(PERSONS, "mobile", tenant_id, r["id"], r["mobile_enc"]) if r["mobile_enc"] else None
        bank = r["bank_account_enc"]
        account = unseal(PERSONS, "bank_account", tenant_id, r["id"], bank) if bank else None
        found[r["id"]] = Clear(r["name"], docs.get(r["id"], []), mobile, account)
    return found


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    problems = Problems()
    if len(text) < MIN_REASON:
        problems.error("reason", ENTER_REASON, {"min": MIN_REASON})
    elif len(text) > MAX_REASON:
        problems.error("reason", REASON_TOO_LONG, {"max": MAX_REASON})
    elif (invisible := text_rules.invisible_error(text)) is not None:
        problems.error("reason", invisible)
    problems.raise_if_any(True)
    return text


def _filters_json(f: PeopleFilter | EnterpriseFilter) -> dict[str, Any]:
    return {k: str(v) for k, v in asdict(f).items() if v}


async def export_people(
    caller: Caller, f: PeopleFilter, file_format: str, *, sort: str = "newest", reason: str | None = None
) -> bytes:
    """The filtered people list as a file. ``reason`` given: unmasked (permission checked)."""
    units = caller.reading()
    unmasked_for: UUID | None = None
    if reason is not None:
        if not caller.can_unmask():
            raise Forbidden()
        reason = check_reason(reason)
        unmasked_for = caller.principal.org_unit.id
    async with tenant_transaction(caller.context()):
        found = await listing.all_people(units, f, sort)
        clear = await _clear_people(unmasked_for, [p.id for p in found]) if unmasked_for else {}

        def table() -> bytes:  # CPU only (100,000 rows: seconds), run in a thread below
            rows = []
            for p in found:
                c = clear.get(p.id)
                rows.append(
                    [
                        c.name if c else p.masked_name,
                        "; ".join(_label(DOCUMENT_TYPE_LABELS, d.type, DocumentType) for d in p.documents),
                        "; ".join(c.documents if c else [d.number_masked for d in p.documents]),
                        _label(SEX_LABELS, p.sex, Sex),
                        _birth(p.birth_date, clear=c is not None),
                        _label(RESIDENCY_LABELS, p.residency, Residency),
                        (c.mobile if c else p.mobile_masked) or "",
                        _label(EDUCATION_LABELS, p.education, Education),
                        p.graduated_on.isoformat() if p.graduated_on else "",
                        p.school or "",
                        (p.bank.account_name if c else p.bank.account_name_masked) if p.bank else "",
                        (c.bank_account if c else p.bank.account_masked) if p.bank else "",
                        p.bank.bank_name if p.bank else "",
                        p.address or "",
                        p.notes or "",
                        unit_name(p.district_code),  # for people: 蓬江区, not 440703
                        format_datetime(p.created_at),
                    ]
                )
            headers = [_(h) for h in PERSON_HEADERS]
            if unmasked_for:
                headers[BIRTH_COLUMN] = _(DATE_OF_BIRTH)
            return render(file_format, headers, rows, _("People"))

        action = "person.exported_unmasked" if unmasked_for else "person.exported"
        after: dict[str, Any] = {"rows": len(found), "format": file_format, "filters": _filters_json(f)}
        if reason is not None:
            after["reason"] = reason
        await audit.record(
            caller.principal.org_unit.id, caller.actor, action, object_type="person_list", after=after
        )
    return await asyncio.to_thread(table)


def _birth(born: date | None, *, clear: bool) -> str:
    if born is None:
        return ""
    return born.isoformat() if clear else str(born.year)


async def export_enterprises(
    caller: Caller, f: EnterpriseFilter, file_format: str, *, sort: str = "newest", reason: str | None = None
) -> bytes:
    units = caller.reading()
    unmasked_for: UUID | None = None
    if reason is not None:
        if not caller.can_unmask():
            raise Forbidden()
        reason = check_reason(reason)
        unmasked_for = caller.principal.org_unit.id
    async with tenant_transaction(caller.context()):
        found = await listing.all_enterprises(units, f, sort)
        accounts = await _clear_accounts(unmasked_for, [e.id for e in found]) if unmasked_for else {}
        rows = [
            [
                e.name,
                e.uscc,
                e.legal_representative if unmasked_for else _mask(e.legal_representative),
                e.registered_on.isoformat() if e.registered_on else "",
                e.registered_district or "",
                _holder(e, clear=unmasked_for is not None),
                (accounts.get(e.id) or e.bank.account_masked or "") if e.bank else "",
                e.bank.bank_name or "" if e.bank else "",
                e.address or "",
                e.notes or "",
                unit_name(e.district_code),
                format_datetime(e.created_at),
            ]
            for e in found
        ]
        action = "enterprise.exported_unmasked" if unmasked_for else "enterprise.exported"
        after: dict[str, Any] = {"rows": len(rows), "format": file_format, "filters": _filters_json(f)}
        if reason is not None:
            after["reason"] = reason
        await audit.record(
            caller.principal.org_unit.id, caller.actor, action, object_type="enterprise_list", after=after
        )
    return await render_in_thread(file_format, [_(h) for h in ENTERPRISE_HEADERS], rows, _("Enterprises"))


def _holder(e: Enterprise, *, clear: bool) -> str:
    """The account holder: in clear in an unmasked export, else as the pages show it."""
    if e.bank is None:
        return ""
    return (e.bank.account_name if clear else e.bank.holder_shown(e.name)) or ""


def _mask(name: str) -> str:
    from renshe.registry.masking import mask_name

    return mask_name(name)


async def _clear_accounts(tenant_id: UUID, ids: Collection[UUID]) -> dict[UUID, str]:
    rows = await repo.conn().fetch(
        """SELECT id, bank_account_enc FROM enterprises WHERE tenant_id = $1 AND id = ANY($2::uuid[])
           AND bank_account_enc IS NOT NULL""",
        tenant_id,
        list(ids),
    )
    return {
        r["id"]: unseal(ENTERPRISES, "bank_account", tenant_id, r["id"], r["bank_account_enc"]) for r in rows
    }
