"""Rows of talent-card applications inside the open tenant transaction: loading with a lock, the
optimistic-locking change, the timeline event with its audit record, the timeline.

RLS decides what is visible; another district's application is ``NotFound`` exactly like a
missing one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.accounts.display import actor_name
from renshe.audit import service as audit
from renshe.db import versioned
from renshe.db.tenant import current_transaction
from renshe.errors import Conflict, NotFound
from renshe.i18n import lazy

OBJECT_TYPE = "talent_application"
NOT_FOUND = lazy("No such talent card application.")
STALE = lazy("This application was changed by someone else meanwhile. Reload it and try again.")


def conn() -> asyncpg.Connection:
    return current_transaction().connection


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def load(tenant_ids: list[UUID] | None, application_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    row = await conn().fetchrow(
        f"""SELECT * FROM talent_applications
            WHERE id = $1 AND ($2::uuid[] IS NULL OR tenant_id = ANY($2::uuid[]))
            {"FOR UPDATE" if lock else ""}""",
        application_id,
        tenant_ids,
    )
    if row is None:
        raise NotFound(NOT_FOUND)
    return dict(row)


def check_version(row: Mapping[str, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise Conflict(STALE)


async def change(row: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``columns`` if the row still has the version read (optimistic lock): 409 otherwise."""
    return await versioned.change("talent_applications", row, columns, STALE)


def summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of an application: its number and states, nothing personal."""
    return {
        "number": row["number"],
        "kind": row["kind"],
        "state": row["state"],
        "tier_claimed": row["tier_claimed"],
        "tier_approved": row["tier_approved"],
        "version": row["version"],
    }


async def event(
    tenant_id: UUID,
    actor: audit.Actor,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    comment: str | None = None,
    *,
    action: str | None = None,
) -> None:
    """One timeline row and one audit record, in the same transaction as the change."""
    await conn().execute(
        """INSERT INTO talent_application_events
             (tenant_id, application_id, actor_user_id, from_state, to_state, comment, at)
           VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, clock_timestamp()))""",
        tenant_id, after["id"], actor.user_id, before["state"] if before else None, after["state"], comment,
        clock.record_time(),
    )  # fmt: skip
    await audit.record(
        tenant_id,
        actor,
        action or f"talent_application.{after['state']}",
        object_type=OBJECT_TYPE,
        object_id=after["id"],
        before=summary(before) if before else None,
        after={**summary(after), **({"comment": comment} if comment else {})},
    )


async def history(tenant_id: UUID, application_id: UUID) -> list[dict[str, Any]]:
    rows = await conn().fetch(
        """SELECT e.at, e.from_state, e.to_state, e.comment, e.actor_user_id,
                  u.username, u.username AS actor_username, u.display_name AS actor_display_name,
                  u.active AS actor_active
           FROM talent_application_events e LEFT JOIN users u ON u.id = e.actor_user_id
           WHERE e.tenant_id = $1 AND e.application_id = $2 ORDER BY e.at, e.id""",
        tenant_id,
        application_id,
    )
    return [{**dict(r), "actor": actor_name(r)} for r in rows]
