"""Lists of applications for the pages (申请列表, 审核队列): filtered, sorted, numbered pages,
with the beneficiary's name masked and the program's name. Read-only queries that run inside
the caller's open tenant transaction (row-level security decides what is visible).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from renshe.db.tenant import within
from renshe.registry.masking import mask_name
from renshe.subsidies.applications.store import conn
from renshe.subsidies.programs.policy import SUBSIDY_FAMILIES

SORTS = {
    "newest": "a.created_at DESC, a.id DESC",
    "oldest": "a.created_at, a.id",
    "amount": "a.amount_fen DESC NULLS LAST, a.created_at DESC, a.id DESC",
}
PAGE_SIZE = 50
EXPORT_LIMIT = 20_000  # a district's year of applications fits; beyond, narrow the filter


@dataclass(frozen=True, slots=True)
class Filter:
    state: str | None = None
    program_code: str | None = None
    reference: str | None = None  # the application's number (申请编号), exact, upper case
    date_from: date | None = None  # application date
    date_to: date | None = None


@dataclass(slots=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    size: int = PAGE_SIZE
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.size))


_SELECT = """
SELECT a.*, p.name AS person_name, e.name AS enterprise_name, g.name_zh AS program_name_zh,
       g.name_en AS program_name_en, u.code AS district_code
FROM applications a
JOIN programs g ON g.code = a.program_code
JOIN org_units u ON u.id = a.tenant_id
LEFT JOIN persons p ON p.tenant_id = a.tenant_id AND p.id = a.person_id
LEFT JOIN enterprises e ON e.tenant_id = a.tenant_id AND e.id = a.enterprise_id
"""
_FILTERS = """
  AND ($2::text IS NULL OR a.state = $2) AND ($3::text IS NULL OR a.program_code = $3)
  AND ($4::text IS NULL OR a.number = $4)
  AND ($5::date IS NULL OR a.application_date >= $5) AND ($6::date IS NULL OR a.application_date <= $6)
"""


def where(units: Collection[UUID], f: Filter) -> tuple[str, list[Any]]:
    """The WHERE clause of the lists and its parameters ``$1``–``$6``."""
    unit_sql, unit_arg = within("a.tenant_id", units)
    args = [unit_arg, f.state, f.program_code, f.reference, f.date_from, f.date_to]
    return f"WHERE {unit_sql} {_FILTERS}", args


def shown(row: Any) -> dict[str, Any]:
    """A row as pages show it: the person's name masked, the clear name dropped."""
    out = dict(row)
    person = out.pop("person_name", None)
    out["beneficiary"] = mask_name(person) if person else (out.get("enterprise_name") or "")
    out["reference"] = out["number"]  # SQ440703-2026-000123: what pages and exports show
    out.pop("payee_account_enc", None)
    out["payee_name_masked"] = mask_name(out["payee_name"]) if out.get("payee_name") else None
    out.pop("payee_name", None)
    return out


async def page(units: Collection[UUID], f: Filter, sort: str, number: int, size: int = PAGE_SIZE) -> Page:
    clause, args = where(units, f)
    total = await conn().fetchval(f"SELECT count(*) FROM applications a {clause}", *args)
    rows = await conn().fetch(
        f"{_SELECT} {clause} ORDER BY {SORTS.get(sort, SORTS['newest'])} LIMIT $7 OFFSET $8",
        *args, size, (number - 1) * size,
    )  # fmt: skip
    return Page([shown(r) for r in rows], total, number, size)


async def everything(units: Collection[UUID], f: Filter, sort: str) -> list[dict[str, Any]]:
    clause, args = where(units, f)
    rows = await conn().fetch(
        f"{_SELECT} {clause} ORDER BY {SORTS.get(sort, SORTS['newest'])} LIMIT $7",
        *args, EXPORT_LIMIT,
    )  # fmt: skip
    return [shown(r) for r in rows]


async def one(units: Collection[UUID], application_id: UUID) -> dict[str, Any] | None:
    unit_sql, unit_arg = within("a.tenant_id", units)
    row = await conn().fetchrow(f"{_SELECT} WHERE {unit_sql} AND a.id = $2", unit_arg, application_id)
    return shown(row) if row else None


async def queue(units: Collection[UUID]) -> dict[str, list[dict[str, Any]]]:
    """The reviewer's work (审核队列): submitted applications, oldest submission first, and
    awards on hold with open objections, oldest objection first."""
    unit_sql, unit_arg = within("a.tenant_id", units)
    submitted = await conn().fetch(
        f"""{_SELECT} WHERE {unit_sql} AND a.state = 'submitted'
            ORDER BY a.submitted_at, a.id LIMIT $2""",
        unit_arg, EXPORT_LIMIT,
    )  # fmt: skip
    on_hold = await conn().fetch(
        f"""SELECT * FROM ({_SELECT}) a
            JOIN LATERAL (SELECT count(*) AS open_objections, min(o.recorded_at) AS oldest_objection
                          FROM objections o WHERE o.tenant_id = a.tenant_id AND o.application_id = a.id
                            AND o.resolution IS NULL) o ON o.open_objections > 0
            WHERE {unit_sql} AND a.state = 'on_hold'
            ORDER BY o.oldest_objection, a.id LIMIT $2""",
        unit_arg, EXPORT_LIMIT,
    )  # fmt: skip
    return {"submitted": [shown(r) for r in submitted], "on_hold": [shown(r) for r in on_hold]}


async def programs() -> list[dict[str, Any]]:
    """Every subsidy program of the catalogue (for the list's filter)."""
    rows = await conn().fetch(
        """SELECT code, name_zh, name_en FROM programs WHERE family = ANY($1::text[])
           ORDER BY sort_order, code""",
        list(SUBSIDY_FAMILIES),
    )
    return [dict(r) for r in rows]


async def policy_version(version_id: UUID | None) -> dict[str, Any] | None:
    if version_id is None:
        return None
    row = await conn().fetchrow(
        "SELECT version, effective_from, effective_to FROM program_versions WHERE id = $1", version_id
    )
    return dict(row) if row else None
