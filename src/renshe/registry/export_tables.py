"""The people and enterprise lists as files, built in an export process (:mod:`renshe.offload`).

The process reads the list itself, in the caller's tenant context (row-level security decides
what it sees, as in the web process), so that 100,000 people never cross between processes as
Python objects; only the filter goes in and the file comes out. Masking is as on the pages; an
unmasked file unseals the clear values of the exporter's own district only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe.db import engine
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.i18n import current_locale, lazy
from renshe.i18n import gettext as _
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
from renshe.registry.masking import mask_name
from renshe.registry.model import (
    EDUCATION_LABELS,
    Education,
    Enterprise,
    EnterpriseFilter,
    PeopleFilter,
    Person,
)
from renshe.registry.sealing import DOCUMENTS, ENTERPRISES, PERSONS, unseal
from renshe.settings import get_settings
from renshe.spreadsheets.writers import render
from renshe.tenancy import names
from renshe.tenancy.names import unit_name
from renshe.web.templating import format_datetime

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


@dataclass(frozen=True, slots=True)
class ListFile:
    """What an export process needs to build one list file (it crosses by pickle)."""

    context: TenantContext
    units: frozenset[UUID]
    filter: PeopleFilter | EnterpriseFilter
    sort: str
    file_format: str
    locale: str
    unmasked_for: UUID | None = None  # the exporter's district, for an unmasked file


def people_file(request: ListFile) -> tuple[bytes, int]:
    """The people list file and its number of rows (runs in an export process)."""
    return asyncio.run(_in_process(request, _people))


def enterprise_file(request: ListFile) -> tuple[bytes, int]:
    """The enterprise list file and its number of rows (runs in an export process)."""
    return asyncio.run(_in_process(request, _enterprises))


async def _in_process(request: ListFile, build: Any) -> tuple[bytes, int]:
    await engine.start(get_settings(), min_size=1, max_size=1)
    token = current_locale.set(request.locale)
    try:
        await names.load()  # this process's copy of the district names
        result: tuple[bytes, int] = await build(request)
        return result
    finally:
        current_locale.reset(token)
        await engine.close()


@dataclass(frozen=True, slots=True)
class Clear:
    """Clear values of one person for an unmasked export."""

    name: str
    documents: list[str]
    mobile: str | None
    bank_account: str | None


async def _people(r: ListFile) -> tuple[bytes, int]:
    assert isinstance(r.filter, PeopleFilter)
    async with tenant_transaction(r.context):
        found = await listing.all_people(r.units, r.filter, r.sort)
        clear = await _clear_people(r.unmasked_for, [p.id for p in found]) if r.unmasked_for else {}
    rows = [_person_row(p, clear.get(p.id)) for p in found]
    headers = [_(h) for h in PERSON_HEADERS]
    if r.unmasked_for:
        headers[BIRTH_COLUMN] = _(DATE_OF_BIRTH)
    return render(r.file_format, headers, rows, _("People")), len(rows)


def _person_row(p: Person, c: Clear | None) -> list[str | None]:
    return [
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


def _label(labels: Any, value: str | None, enum: Any) -> str:
    if not value:
        return ""
    try:
        return _(labels[enum(value)])
    except (KeyError, ValueError):
        return value


def _birth(born: date | None, *, clear: bool) -> str:
    if born is None:
        return ""
    return born.isoformat() if clear else str(born.year)


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


async def _enterprises(r: ListFile) -> tuple[bytes, int]:
    assert isinstance(r.filter, EnterpriseFilter)
    clear = r.unmasked_for is not None
    async with tenant_transaction(r.context):
        found = await listing.all_enterprises(r.units, r.filter, r.sort)
        accounts = await _clear_accounts(r.unmasked_for, [e.id for e in found]) if r.unmasked_for else {}
    rows = [
        [
            e.name,
            e.uscc,
            e.legal_representative if clear else mask_name(e.legal_representative),
            e.registered_on.isoformat() if e.registered_on else "",
            e.registered_district or "",
            _holder(e, clear=clear),
            (accounts.get(e.id) or e.bank.account_masked or "") if e.bank else "",
            e.bank.bank_name or "" if e.bank else "",
            e.address or "",
            e.notes or "",
            unit_name(e.district_code),
            format_datetime(e.created_at),
        ]
        for e in found
    ]
    return render(r.file_format, [_(h) for h in ENTERPRISE_HEADERS], rows, _("Enterprises")), len(rows)


def _holder(e: Enterprise, *, clear: bool) -> str:
    """The account holder: in clear in an unmasked export, else as the pages show it."""
    if e.bank is None:
        return ""
    return (e.bank.account_name if clear else e.bank.holder_shown(e.name)) or ""


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
