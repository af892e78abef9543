"""Writing the audit log (审计). Reading and verifying live in ``reader`` and ``chain``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from renshe import clock
from renshe.db.tenant import current_transaction


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it, as the audit log records it."""

    user_id: UUID | None
    username: str | None
    role: str | None
    request_id: str | None = None
    ip: str | None = None


SYSTEM = Actor(user_id=None, username="system", role=None)


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


async def record(
    tenant_id: UUID,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: str | UUID | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Append one record to ``tenant_id``'s chain inside the open tenant transaction.

    It commits or rolls back with the change it describes. ``before``/``after`` must already be
    masked: the audit log never holds a personal number in clear. Returns the record's sequence.

    The record's time is the database's clock. Inside the demo's story (``clock.story_at``) the
    step's instant is offered too; the database takes it only while the demo seed holds the story
    clock open (``renshe.audit.story_clock``), so a real request can never date a record.
    """
    tx = current_transaction()
    seq: int = await tx.connection.fetchval(
        "SELECT audit_append($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12)",
        tenant_id,
        actor.user_id,
        actor.username,
        actor.role,
        action,
        object_type,
        None if object_id is None else str(object_id),
        _json(before),
        _json(after),
        actor.request_id,
        actor.ip,
        clock.record_time(),
    )
    return seq
