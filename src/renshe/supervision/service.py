"""督查 — supervision: the one way a city user reads a district's person-level records.

City roles work on aggregates (01-platform §4). When the bureau must inspect a district's records,
the city administrator asks for it here, per district, with a reason, for at most eight hours.
Until it ends, the person-level routes (registry, subsidy applications) open for that district
only, read-only (:mod:`renshe.supervision.guards`). Asking, ending early and every request read
under a grant are audited in the city's own chain.

Services here know nothing about HTTP: they take the principal and an audit actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import text_rules
from renshe.accounts.principal import Principal, Role
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.i18n import lazy

MAX_HOURS = 8
MIN_REASON, MAX_REASON = 4, 500
ASKERS = frozenset({Role.CITY_ADMIN})
CHOOSE_DISTRICT = lazy("Choose a district of the city.")
GIVE_REASON = lazy("Give the reason for the inspection (4 to 500 characters).")
CHOOSE_HOURS = lazy("Choose how long: 1 to 8 hours.")
NO_GRANT = lazy("No such supervision access.")
ALREADY_ENDED = lazy("This supervision access has already ended.")


@dataclass(frozen=True, slots=True)
class Grant:
    id: UUID
    user_id: UUID
    username: str
    district_id: UUID
    district_code: str
    district_name: str
    reason: str
    starts_at: datetime
    ends_at: datetime
    ended_at: datetime | None
    live: bool


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


def _asker(p: Principal) -> None:
    if p.is_district or not p.has(*ASKERS):
        raise Forbidden()


def _districts_in_reach(p: Principal) -> frozenset[UUID]:
    return p.readable_units - {p.org_unit.id}


async def ask(
    p: Principal, actor: audit.Actor, district_id: UUID | None, reason: str, hours: int | None
) -> Grant:
    """Open ``district_id``'s records to ``p`` for ``hours`` (1–8), with ``reason``; audited."""
    _asker(p)
    errors: dict[str, str] = {}
    reason = " ".join((reason or "").split())
    if district_id is None or district_id not in _districts_in_reach(p):
        errors["district"] = CHOOSE_DISTRICT
    if not MIN_REASON <= len(reason) <= MAX_REASON:
        errors["reason"] = GIVE_REASON
    elif invisible := text_rules.invisible_error(reason):
        errors["reason"] = invisible
    if hours is None or not 1 <= hours <= MAX_HOURS:
        errors["hours"] = CHOOSE_HOURS
    if errors:
        raise ValidationFailed(errors)
    async with tenant_transaction(p.context(actor.request_id)):
        grant_id: UUID = await _conn().fetchval(
            """INSERT INTO supervision_grants (tenant_id, user_id, district_id, reason, ends_at)
               VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5)) RETURNING id""",
            p.org_unit.id, p.user_id, district_id, reason, hours,
        )  # fmt: skip
        grant = await _one(p, grant_id)
        await audit.record(
            p.org_unit.id, actor, "supervision.granted", object_type="supervision_grant", object_id=grant_id,
            after={"district": grant.district_code, "reason": reason, "hours": hours,
                   "ends_at": grant.ends_at.isoformat()},
        )  # fmt: skip
    return grant


async def end(p: Principal, actor: audit.Actor, grant_id: UUID) -> Grant:
    """End one's own live grant now; audited. Another's grant is ``NotFound``."""
    _asker(p)
    async with tenant_transaction(p.context(actor.request_id)):
        status = await _conn().execute(
            """UPDATE supervision_grants SET ended_at = now()
               WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND ended_at IS NULL AND ends_at > now()""",
            p.org_unit.id, grant_id, p.user_id,
        )  # fmt: skip
        grant = await _one(p, grant_id)
        if status != "UPDATE 1":
            raise Conflict(ALREADY_ENDED)
        await audit.record(
            p.org_unit.id, actor, "supervision.ended", object_type="supervision_grant", object_id=grant_id,
            after={"district": grant.district_code},
        )  # fmt: skip
    return grant


_SELECT = """SELECT g.id, g.user_id, u.username, g.district_id, o.code AS district_code,
                    o.name_zh AS district_name, g.reason, g.starts_at, g.ends_at, g.ended_at,
                    (g.ended_at IS NULL AND now() BETWEEN g.starts_at AND g.ends_at) AS live
             FROM supervision_grants g JOIN org_units o ON o.id = g.district_id
                  JOIN users u ON u.id = g.user_id"""


async def _one(p: Principal, grant_id: UUID) -> Grant:
    row = await _conn().fetchrow(
        _SELECT + " WHERE g.tenant_id = $1 AND g.id = $2 AND g.user_id = $3",
        p.org_unit.id,
        grant_id,
        p.user_id,
    )
    if row is None:
        raise NotFound(NO_GRANT)
    return Grant(**dict(row))


async def recent(p: Principal, request_id: str | None, limit: int = 50) -> list[Grant]:
    """The city's grants, live first then newest (every administrator's: they watch each other)."""
    _asker(p)
    async with tenant_transaction(p.context(request_id)):
        rows = await _conn().fetch(
            _SELECT + " WHERE g.tenant_id = $1 ORDER BY live DESC, g.starts_at DESC LIMIT $2",
            p.org_unit.id, limit,
        )  # fmt: skip
    return [Grant(**dict(r)) for r in rows]


async def live_districts(p: Principal) -> dict[UUID, UUID]:
    """district → grant, for ``p``'s grants live now (inside the open tenant transaction)."""
    rows = await _conn().fetch(
        """SELECT DISTINCT ON (district_id) district_id, id FROM supervision_grants
           WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL AND now() BETWEEN starts_at AND ends_at
           ORDER BY district_id, ends_at DESC""",
        p.org_unit.id, p.user_id,
    )  # fmt: skip
    return {r["district_id"]: r["id"] for r in rows if r["district_id"] in p.readable_units}


async def record_read(
    p: Principal, actor: audit.Actor, grants: dict[UUID, UUID], what: dict[str, Any]
) -> None:
    """One audit record per request read under supervision (inside the open transaction)."""
    await audit.record(
        p.org_unit.id, actor, "supervision.read", object_type="supervision_grant",
        object_id=",".join(sorted(str(g) for g in grants.values())), after=what,
    )  # fmt: skip


async def districts(p: Principal, request_id: str | None) -> list[tuple[UUID, str]]:
    """The districts ``p`` may ask to inspect, in code order, with their names."""
    _asker(p)
    async with tenant_transaction(p.context(request_id)):
        rows = await _conn().fetch(
            """SELECT id, name_zh, name_en FROM org_units
               WHERE id = ANY($1::uuid[]) AND kind = 'district' ORDER BY code""",
            list(_districts_in_reach(p)),
        )
    return [(r["id"], r["name_zh"]) for r in rows]
