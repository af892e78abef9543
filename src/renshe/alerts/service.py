"""Alerts (告警): raised by the nightly checks, read and resolved by administrators.

* :func:`raise_alert` — in the check's own tenant transaction; once per kind, subject and business
  date (the database's UNIQUE), so a check run twice adds nothing.
* :func:`listed` — a district administrator sees the district's alerts; the city administrator
  every district's (the city's read set). An alert names a record by its id and says which rule
  broke, never a person's name or number.
* :func:`resolve` — by the administrator of the alert's district, with a note (audited); the
  city reads every district's alerts but, like every district row, writes none of them. An alert
  is never deleted.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction, within
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.registry.service import Caller

ADMINS = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
NO_ALERT = lazy("No such alert.")
ALREADY = lazy("This alert is already resolved.")
NOTE_REQUIRED = lazy("Say what was done about it (at most 500 characters).")
KIND_LABELS = {
    "hkmo.ledger_unbalanced": lazy("A grant's ledger does not balance"),
    "hkmo.tranche_not_following_award": lazy("A tranche's state differs from its award's"),
    "hkmo.paid_tranche_not_in_ledger": lazy("A paid tranche is not paid once in its grant's ledger"),
    "rollups.mismatch": lazy("The rollups differed from a full recount (put right)"),
}


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def raise_alert(tenant_id: UUID, kind: str, subject: str, details: dict[str, Any], on: date) -> bool:
    """Record a breach found on business date ``on``; False when it was already recorded that day."""
    status = await _conn().execute(
        """INSERT INTO alerts (tenant_id, kind, subject, details, raised_on)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT ON CONSTRAINT alerts_once_a_day DO NOTHING""",
        tenant_id, kind, subject, json.dumps(details, ensure_ascii=False, default=str), on,
    )  # fmt: skip
    return status.endswith(" 1")


def _readable(caller: Caller) -> frozenset[UUID]:
    if not caller.principal.has(*ADMINS):
        raise Forbidden()
    return caller.readable


async def listed(
    caller: Caller, *, open_only: bool = True, limit: int = 100, after: tuple[datetime, UUID] | None = None
) -> list[dict[str, Any]]:
    """The alerts the caller administers, newest first (keyset on ``(raised_at, id)``)."""
    unit_sql, unit_arg = within("a.tenant_id", _readable(caller))
    async with tenant_transaction(caller.context()):
        rows = await _conn().fetch(
            f"""SELECT a.*, o.code AS district_code FROM alerts a JOIN org_units o ON o.id = a.tenant_id
                WHERE {unit_sql} AND (NOT $2 OR a.resolved_at IS NULL)
                  AND ($3::timestamptz IS NULL OR (a.raised_at, a.id) < ($3, $4::uuid))
                ORDER BY a.raised_at DESC, a.id DESC LIMIT $5""",
            unit_arg, open_only, after[0] if after else None, after[1] if after else None, limit,
        )  # fmt: skip
    return [{**dict(r), "details": _json(r["details"])} for r in rows]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def resolve(caller: Caller, alert_id: UUID, note: str | None) -> dict[str, Any]:
    """Mark an alert resolved with what was done (the district's administrator)."""
    p = caller.principal
    if not (p.is_district and p.has(Role.DISTRICT_ADMIN)):
        raise Forbidden()
    said = (note or "").strip()
    if not said or len(said) > 500:
        raise ValidationFailed({"resolution": NOTE_REQUIRED})
    text_rules.refuse_invisible(resolution=said)
    async with tenant_transaction(caller.context()):
        row = await _conn().fetchrow(
            "SELECT * FROM alerts WHERE tenant_id = $1 AND id = $2 FOR UPDATE", p.org_unit.id, alert_id
        )
        if row is None:
            raise NotFound(NO_ALERT)
        if row["resolved_at"] is not None:
            raise Conflict(ALREADY)
        updated = await _conn().fetchrow(
            """UPDATE alerts SET resolved_at = coalesce($3, now()), resolved_by = $4, resolution = $5
               WHERE tenant_id = $1 AND id = $2 RETURNING *""",
            row["tenant_id"], alert_id, clock.record_time(), caller.actor.user_id, said,
        )  # fmt: skip
        await audit.record(
            row["tenant_id"], caller.actor, "alert.resolved", object_type="alert", object_id=alert_id,
            before={"kind": row["kind"], "subject": row["subject"]}, after={"resolution": said},
        )  # fmt: skip
        return dict(updated)
