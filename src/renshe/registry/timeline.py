"""A record's history (变更记录) from the audit log: the audit rows of the record's own district
about this object, read through the caller's tenant transaction (row-level security applies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from renshe.accounts.display import ActorName, actor_name
from renshe.audit.labels import action_label
from renshe.db.tenant import current_transaction

LIMIT = 100


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    action: str
    actor: ActorName
    changed: list[str]
    field: str | None  # what was viewed in clear
    reason: str | None

    @property
    def label(self) -> str:
        """The action in words (audit.labels), in the page's language."""
        return action_label(self.action)


def _event(row: Any) -> Event:
    after = row["after"]
    if isinstance(after, str):
        import json

        after = json.loads(after)
    after = after or {}
    return Event(
        at=row["at"],
        action=row["action"],
        actor=actor_name(row),
        changed=[str(c) for c in after.get("changed", [])] if isinstance(after, dict) else [],
        field=after.get("field") if isinstance(after, dict) else None,
        reason=after.get("reason") if isinstance(after, dict) else None,
    )


async def history(tenant_id: UUID, object_type: str, object_id: UUID) -> list[Event]:
    """Newest first: what happened to this record, who did it, which fields changed."""
    rows = await current_transaction().connection.fetch(
        """SELECT a.at, a.action, a.actor_user_id, a.actor_username, a.after,
                  u.display_name AS actor_display_name, u.active AS actor_active
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
           WHERE a.tenant_id = $1
             AND ((a.object_type = $2 AND a.object_id = $3)
                  OR (a.object_type = 'person_enterprise_link'
                      AND coalesce(a.after, a.before)->>(CASE WHEN $2 = 'person' THEN 'person_id'
                                                              ELSE 'enterprise_id' END) = $3))
           ORDER BY a.seq DESC LIMIT $4""",
        tenant_id,
        object_type,
        str(object_id),
        LIMIT,
    )
    return [_event(r) for r in rows]
