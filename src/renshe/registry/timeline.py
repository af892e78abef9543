"""A record's history (变更记录) from the audit log: the audit rows of the record's own district
about this object, read through the caller's tenant transaction (row-level security applies)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from renshe.db.tenant import current_transaction
from renshe.i18n import lazy

ACTION_LABELS = {
    "person.registered": lazy("Registered"),
    "person.updated": lazy("Changed"),
    "person.document_added": lazy("Document added"),
    "person.document_removed": lazy("Document removed"),
    "person.unmasked": lazy("Viewed in clear"),
    "link.created": lazy("Linked to an enterprise"),
    "link.ended": lazy("Link to an enterprise ended"),
    "link.removed": lazy("Link to an enterprise removed"),
    "enterprise.registered": lazy("Registered"),
    "enterprise.updated": lazy("Changed"),
    "enterprise.unmasked": lazy("Viewed in clear"),
}
LIMIT = 100


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    action: str
    actor: str | None
    changed: list[str]
    field: str | None  # what was viewed in clear
    reason: str | None

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


def _event(row: Any) -> Event:
    after = row["after"]
    if isinstance(after, str):
        import json

        after = json.loads(after)
    after = after or {}
    return Event(
        at=row["at"],
        action=row["action"],
        actor=row["actor_username"],
        changed=[str(c) for c in after.get("changed", [])] if isinstance(after, dict) else [],
        field=after.get("field") if isinstance(after, dict) else None,
        reason=after.get("reason") if isinstance(after, dict) else None,
    )


async def history(tenant_id: UUID, object_type: str, object_id: UUID) -> list[Event]:
    """Newest first: what happened to this record, who did it, which fields changed."""
    rows = await current_transaction().connection.fetch(
        """SELECT at, action, actor_username, after FROM audit_log
           WHERE tenant_id = $1
             AND ((object_type = $2 AND object_id = $3)
                  OR (object_type = 'person_enterprise_link'
                      AND coalesce(after, before)->>(CASE WHEN $2 = 'person' THEN 'person_id'
                                                          ELSE 'enterprise_id' END) = $3))
           ORDER BY seq DESC LIMIT $4""",
        tenant_id,
        object_type,
        str(object_id),
        LIMIT,
    )
    return [_event(r) for r in rows]
