"""Reading the audit log (审计查询) for the auditor: filtered, newest first, keyset-paged.

Reads go through the auditor's tenant context, so RLS limits them to the org units the auditor
may read (the city auditor: the whole city). Nothing here writes, except the record of an export.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from renshe import date_range
from renshe.accounts.display import ActorName, actor_name
from renshe.api.pagination import bad_cursor, decode_cursor, encode_cursor
from renshe.audit.labels import action_label
from renshe.db.tenant import current_transaction
from renshe.errors import ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 50
EXPORT_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the auditor asked for; every field optional. Dates are Shanghai calendar days."""

    unit_code: str | None = None
    action: str | None = None  # prefix: "user." matches every user action
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def parse(cls, params: dict[str, str | None]) -> AuditFilter:
        errors: dict[str, str] = {}

        def text(name: str) -> str | None:
            value = (params.get(name) or "").strip()
            return value[:200] or None

        def day(name: str) -> date | None:
            value = text(name)
            if value is None:
                return None
            try:
                day = date.fromisoformat(value)
            except ValueError:
                errors[name] = "Enter a date as YYYY-MM-DD."
                return None
            if not date_range.in_range(day):
                errors[name] = date_range.OUT_OF_RANGE
                return None
            return day

        parsed = cls(
            unit_code=text("unit"),
            action=text("action"),
            actor=text("actor"),
            object_type=text("object_type"),
            object_id=text("object_id"),
            date_from=day("from"),
            date_to=day("to"),
        )
        if parsed.date_from and parsed.date_to and parsed.date_from > parsed.date_to:
            errors["to"] = "The end date is before the start date."
        if errors:
            raise ValidationFailed(errors)
        return parsed

    def as_params(self) -> dict[str, str]:
        """The filter as query parameters (to keep it across pages and the export link)."""
        values = {
            "unit": self.unit_code, "action": self.action, "actor": self.actor,
            "object_type": self.object_type, "object_id": self.object_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }  # fmt: skip
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    tenant_id: UUID
    unit_code: str
    unit_name_zh: str
    unit_name_en: str
    seq: int
    at: datetime
    actor_username: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    object_number: str | None  # SQ…/PF…/DR… when the object is an application, batch or import
    before: Any
    after: Any
    request_id: str | None
    ip: str | None
    actor_user_id: UUID | None = None
    actor_display_name: str | None = None  # the users row's, when there is one
    actor_active: bool | None = None

    @property
    def actor(self) -> ActorName:
        return actor_name(
            {
                "user_id": self.actor_user_id,
                "username": self.actor_username,
                "display_name": self.actor_display_name,
                "active": self.actor_active,
            },
            "",
        )

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def before_json(self) -> str:
        return _pretty(self.before)

    @property
    def after_json(self) -> str:
        return _pretty(self.after)


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None
    units: list[dict[str, Any]] = field(default_factory=list)


def _pretty(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = json.loads(value)
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _like_prefix(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, SHANGHAI)


def _after(cursor: str | None) -> tuple[datetime, UUID, int] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), UUID(str(key[1])), int(key[2])
    except (ValueError, IndexError, TypeError):
        raise bad_cursor() from None


QUERY = """
SELECT a.tenant_id, o.code AS unit_code, o.name_zh AS unit_name_zh, o.name_en AS unit_name_en,
       a.seq, a.at, a.actor_username, a.actor_role, a.action, a.object_type, a.object_id,
       CASE WHEN a.object_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN NULL
       ELSE CASE a.object_type  -- the number people say on the phone, where the object has one
         WHEN 'application' THEN (SELECT x.number FROM applications x
                                  WHERE x.tenant_id = a.tenant_id AND x.id = a.object_id::uuid)
         WHEN 'disbursement_batch' THEN (SELECT x.number FROM disbursement_batches x
                                         WHERE x.tenant_id = a.tenant_id AND x.id = a.object_id::uuid)
         WHEN 'import_batch' THEN (SELECT x.number FROM import_batches x
                                   WHERE x.tenant_id = a.tenant_id AND x.id = a.object_id::uuid)
       END END AS object_number,
       a.before, a.after, a.request_id, a.ip,
       a.actor_user_id, u.display_name AS actor_display_name, u.active AS actor_active
FROM audit_log a JOIN org_units o ON o.id = a.tenant_id
     LEFT JOIN users u ON u.id = a.actor_user_id
WHERE a.tenant_id = ANY($1::uuid[])
  AND ($2::text IS NULL OR o.code = $2)
  AND ($3::text IS NULL OR a.action LIKE $3)
  AND ($4::text IS NULL OR a.actor_username = $4)
  AND ($5::text IS NULL OR a.object_type = $5)
  AND ($6::text IS NULL OR a.object_id = $6 OR a.object_id IN (
         SELECT id::text FROM applications WHERE number = upper($6)
         UNION ALL SELECT id::text FROM disbursement_batches WHERE number = upper($6)
         UNION ALL SELECT id::text FROM import_batches WHERE number = upper($6)))
  AND ($7::timestamptz IS NULL OR a.at >= $7)
  AND ($8::timestamptz IS NULL OR a.at < $8)
  AND ($9::timestamptz IS NULL OR (a.at, a.tenant_id, a.seq) < ($9, $10::uuid, $11::bigint))
ORDER BY a.at DESC, a.tenant_id DESC, a.seq DESC
LIMIT $12
"""


async def search(
    readable: frozenset[UUID],
    flt: AuditFilter,
    *,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
) -> AuditPage:
    """Records of ``readable`` org units matching ``flt``, newest first (in the open transaction)."""
    conn = current_transaction().connection
    after = _after(cursor)
    rows = await conn.fetch(
        QUERY,
        list(readable), flt.unit_code,
        _like_prefix(flt.action) if flt.action else None,
        flt.actor, flt.object_type, flt.object_id,
        _day_start(flt.date_from) if flt.date_from else None,
        _day_start(flt.date_to + timedelta(days=1)) if flt.date_to else None,
        after[0] if after else None, after[1] if after else None, after[2] if after else None,
        limit + 1,
    )  # fmt: skip
    entries = [AuditEntry(**dict(r)) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = entries[-1]
        next_cursor = encode_cursor([last.at.isoformat(), str(last.tenant_id), last.seq])
    units = await conn.fetch(
        "SELECT id, code, name_zh, name_en FROM org_units WHERE id = ANY($1::uuid[]) ORDER BY code",
        list(readable),
    )
    return AuditPage(entries, next_cursor, [dict(u) for u in units])
