"""人员与企业的关联 — a person founded (创办人) or works for (员工) an enterprise.

Both ends must be this district's: the service looks them up through row-level security first
(another district's enterprise is "not found", exactly like a missing one), and the composite
foreign keys ``(tenant_id, person_id)`` / ``(tenant_id, enterprise_id)`` refuse the link even if
that look-up were skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe.audit import service as audit
from renshe.errors import Conflict, NotFound
from renshe.i18n import lazy
from renshe.registry import repository as repo
from renshe.registry.masking import mask_name
from renshe.registry.model import Link, LinkRole, Problems

UNKNOWN_ROLE = lazy("Choose founder or employee.")
UNTIL_BEFORE_SINCE = lazy("The end date is before the start date.")
ALREADY_LINKED = lazy("This person is already linked to this enterprise in this role.")
NO_SUCH_LINK = lazy("No such link.")
OBJECT_TYPE = "person_enterprise_link"

_COLUMNS = """l.id, l.person_id, l.enterprise_id, l.role, l.since, l.until, p.name AS person_name,
  e.name AS enterprise_name"""
_FROM = """person_enterprise_links l
  JOIN persons p ON p.tenant_id = l.tenant_id AND p.id = l.person_id
  JOIN enterprises e ON e.tenant_id = l.tenant_id AND e.id = l.enterprise_id"""


def _link(row: asyncpg.Record) -> Link:
    return Link(
        id=row["id"], person_id=row["person_id"], enterprise_id=row["enterprise_id"], role=row["role"],
        since=row["since"], until=row["until"], person_name_masked=mask_name(row["person_name"]),
        enterprise_name=row["enterprise_name"],
    )  # fmt: skip


def _snapshot(link: Link) -> dict[str, Any]:
    return {
        "person_id": str(link.person_id), "enterprise_id": str(link.enterprise_id), "role": link.role,
        "since": link.since, "until": link.until,
    }  # fmt: skip


async def get_link(link_id: UUID, tenant_ids: Collection[UUID] | None = None) -> Link:
    row = await repo.conn().fetchrow(
        f"""SELECT {_COLUMNS} FROM {_FROM}
            WHERE l.id = $1 AND ($2::uuid[] IS NULL OR l.tenant_id = ANY($2::uuid[]))""",
        link_id,
        None if tenant_ids is None else list(tenant_ids),
    )
    if row is None:
        raise NotFound(NO_SUCH_LINK)
    return _link(row)


async def links_of(
    *, person_id: UUID | None = None, enterprise_id: UUID | None = None,
    tenant_ids: Collection[UUID] | None = None,
) -> list[Link]:  # fmt: skip
    """The links of one person or one enterprise (open ones first, then by start date)."""
    rows = await repo.conn().fetch(
        f"""SELECT {_COLUMNS} FROM {_FROM}
            WHERE ($1::uuid IS NULL OR l.person_id = $1) AND ($2::uuid IS NULL OR l.enterprise_id = $2)
              AND ($3::uuid[] IS NULL OR l.tenant_id = ANY($3::uuid[]))
            ORDER BY l.until IS NOT NULL, l.since DESC NULLS LAST, l.created_at DESC""",
        person_id,
        enterprise_id,
        None if tenant_ids is None else list(tenant_ids),
    )
    return [_link(r) for r in rows]


def _check(role: str, since: date | None, until: date | None) -> None:
    problems = Problems()
    try:
        LinkRole(role)
    except ValueError:
        problems.error("role", UNKNOWN_ROLE)
    if since is not None and until is not None and until < since:
        problems.error("until", UNTIL_BEFORE_SINCE)
    problems.raise_if_any(True)


async def link_person(
    tenant_id: UUID, actor: audit.Actor, person_id: UUID, enterprise_id: UUID, role: str,
    *, since: date | None = None, until: date | None = None,
) -> Link:  # fmt: skip
    """Link a person of this district to an enterprise of this district."""
    _check(role, since, until)
    await repo.load_person(person_id, [tenant_id])
    await repo.load_enterprise(enterprise_id, [tenant_id])
    link_id = uuid.uuid4()
    conn = repo.conn()
    async with conn.transaction():
        try:
            await conn.execute(
                """INSERT INTO person_enterprise_links
                     (tenant_id, id, person_id, enterprise_id, role, since, until, created_by)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                tenant_id, link_id, person_id, enterprise_id, role, since, until, actor.user_id,
            )  # fmt: skip
        except asyncpg.UniqueViolationError:
            raise Conflict(ALREADY_LINKED) from None
        except asyncpg.ForeignKeyViolationError:
            raise NotFound() from None
        link = await get_link(link_id, [tenant_id])
        await audit.record(tenant_id, actor, "link.created", object_type=OBJECT_TYPE, object_id=link_id,
                           after=_snapshot(link))  # fmt: skip
    return link


async def end_link(tenant_id: UUID, actor: audit.Actor, link_id: UUID, until: date) -> Link:
    """Record that the person left (or the founder withdrew) on ``until``."""
    before = await get_link(link_id, [tenant_id])
    _check(before.role, before.since, until)
    with repo.mapped_errors():
        await repo.conn().execute(
            "UPDATE person_enterprise_links SET until = $3 WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            link_id,
            until,
        )
    after = await get_link(link_id, [tenant_id])
    await audit.record(tenant_id, actor, "link.ended", object_type=OBJECT_TYPE, object_id=link_id,
                       before=_snapshot(before), after=_snapshot(after))  # fmt: skip
    return after


async def remove_link(tenant_id: UUID, actor: audit.Actor, link_id: UUID) -> None:
    """Delete a link entered by mistake (a real departure is ``end_link``)."""
    before = await get_link(link_id, [tenant_id])
    await repo.conn().execute(
        "DELETE FROM person_enterprise_links WHERE tenant_id = $1 AND id = $2", tenant_id, link_id
    )
    await audit.record(tenant_id, actor, "link.removed", object_type=OBJECT_TYPE, object_id=link_id,
                       before=_snapshot(before))  # fmt: skip
