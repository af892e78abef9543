"""Lists of people and enterprises for pages and exports (列表): the API's filters, plus a sort
order and numbered pages (the API pages by cursor, newest first only).

Runs inside the caller's tenant transaction; rows come back masked, through the registry's
repository, so a list never decrypts anything.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from renshe.db.tenant import within
from renshe.registry import people
from renshe.registry import repository as repo
from renshe.registry.model import Enterprise, EnterpriseFilter, PeopleFilter, Person
from renshe.registry.people import day_start, like_prefix

T = TypeVar("T")
PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
PERSON_SORTS = {
    "newest": "p.created_at DESC, p.id DESC",
    "oldest": "p.created_at ASC, p.id ASC",
    "name": "p.name ASC, p.created_at DESC, p.id",
}
ENTERPRISE_SORTS = {
    "newest": "e.created_at DESC, e.id DESC",
    "oldest": "e.created_at ASC, e.id ASC",
    "name": "e.name ASC, e.created_at DESC, e.id",
}


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _person_where(tenant_ids: Collection[UUID], f: PeopleFilter) -> tuple[str, list[Any]]:
    people.check_filter(f)
    prefix = (f.name_prefix or "").strip()
    unit_sql, unit_arg = within("p.tenant_id", tenant_ids)
    where = (
        unit_sql
        + """
       AND ($2::text IS NULL OR p.residency = $2)
       AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM person_documents d WHERE d.tenant_id = p.tenant_id
                                        AND d.person_id = p.id AND d.doc_type = $3))
       AND ($4::text IS NULL OR p.name LIKE $4)
       AND ($5::timestamptz IS NULL OR p.created_at >= $5)
       AND ($6::timestamptz IS NULL OR p.created_at < $6)"""
    )
    args: list[Any] = [
        unit_arg,
        f.residency or None,
        f.document_type or None,
        like_prefix(prefix) if prefix else None,
        day_start(f.created_from) if f.created_from else None,
        day_start(f.created_to + timedelta(days=1)) if f.created_to else None,
    ]
    return where, args


async def people_page(
    tenant_ids: Collection[UUID], f: PeopleFilter, sort: str = "newest", page: int = 1, size: int = PAGE_SIZE
) -> Page[Person]:
    where, args = _person_where(tenant_ids, f)
    total = await repo.conn().fetchval(f"SELECT count(*) FROM persons p WHERE {where}", *args)
    items = await _people(where, args, sort, size, (max(page, 1) - 1) * size)
    return Page(items, int(total), max(page, 1), size)


async def all_people(
    tenant_ids: Collection[UUID], f: PeopleFilter, sort: str = "newest", limit: int = EXPORT_LIMIT
) -> list[Person]:
    """Everyone the filter finds, for an export (which runs in an export process: 100,000
    ``Person`` s are a second of CPU the web process's event loop must not spend)."""
    where, args = _person_where(tenant_ids, f)
    return await _people(where, args, sort, limit, 0)


async def _people(where: str, args: list[Any], sort: str, limit: int, offset: int) -> list[Person]:
    order = PERSON_SORTS.get(sort, PERSON_SORTS["newest"])
    n = len(args)
    rows = await repo.person_rows(
        f"{where} ORDER BY {order} LIMIT ${n + 1} OFFSET ${n + 2}", *args, limit, offset
    )
    document_rows = await repo.document_rows([r["id"] for r in rows])
    documents = repo.documents_by_person(document_rows)
    return [repo.person_from(r, documents.get(r["id"], [])) for r in rows]


def _enterprise_where(tenant_ids: Collection[UUID], f: EnterpriseFilter) -> tuple[str, list[Any]]:
    prefix = (f.name_prefix or "").strip()
    unit_sql, unit_arg = within("e.tenant_id", tenant_ids)
    where = (
        unit_sql
        + """
       AND ($2::text IS NULL OR e.name LIKE $2)
       AND ($3::timestamptz IS NULL OR e.created_at >= $3)
       AND ($4::timestamptz IS NULL OR e.created_at < $4)"""
    )
    args: list[Any] = [
        unit_arg,
        like_prefix(prefix) if prefix else None,
        day_start(f.created_from) if f.created_from else None,
        day_start(f.created_to + timedelta(days=1)) if f.created_to else None,
    ]
    return where, args


async def _enterprises(where: str, args: list[Any], sort: str, limit: int, offset: int) -> list[Enterprise]:
    order = ENTERPRISE_SORTS.get(sort, ENTERPRISE_SORTS["newest"])
    n = len(args)
    rows = await repo.conn().fetch(
        f"""SELECT {repo.ENTERPRISE_COLUMNS} FROM enterprises e JOIN org_units o ON o.id = e.tenant_id
            WHERE {where} ORDER BY {order} LIMIT ${n + 1} OFFSET ${n + 2}""",
        *args,
        limit,
        offset,
    )
    return [repo.enterprise_from(r) for r in rows]


async def enterprises_page(
    tenant_ids: Collection[UUID],
    f: EnterpriseFilter,
    sort: str = "newest",
    page: int = 1,
    size: int = PAGE_SIZE,
) -> Page[Enterprise]:
    where, args = _enterprise_where(tenant_ids, f)
    total = await repo.conn().fetchval(f"SELECT count(*) FROM enterprises e WHERE {where}", *args)
    items = await _enterprises(where, args, sort, size, (max(page, 1) - 1) * size)
    return Page(items, int(total), max(page, 1), size)


async def all_enterprises(
    tenant_ids: Collection[UUID], f: EnterpriseFilter, sort: str = "newest", limit: int = EXPORT_LIMIT
) -> list[Enterprise]:
    where, args = _enterprise_where(tenant_ids, f)
    return await _enterprises(where, args, sort, limit, 0)
