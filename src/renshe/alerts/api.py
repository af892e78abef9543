"""Alerts API (``/api/v1/alerts``): what the nightly checks found, for the administrators.

A district administrator reads and resolves the district's alerts; the city administrator reads
every district's (aggregates and record ids only: an alert names a grant by its id and the rule it
broke). Other roles get 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.alerts import service
from renshe.api.openapi import rule
from renshe.api.pagination import Limit, bad_cursor, clamp_limit, decode_cursor, encode_cursor
from renshe.i18n import gettext
from renshe.registry.api import caller

Req = Request[Any, Any, Any]
READ = requires_roles(*service.ADMINS)
RESOLVE = requires_roles(Role.DISTRICT_ADMIN)
TAGS = ["alerts"]


class ResolveIn(msgspec.Struct):
    resolution: Annotated[str, rule(max_length=500)]


class AlertOut(msgspec.Struct):
    id: UUID
    district_code: str
    kind: str
    kind_label: str
    subject: str
    details: dict[str, Any]
    raised_on: date
    raised_at: datetime
    resolved_at: datetime | None
    resolution: str | None


class AlertList(msgspec.Struct):
    items: list[AlertOut]
    next_cursor: str | None = None


def alert_out(row: dict[str, Any]) -> AlertOut:
    label = service.KIND_LABELS.get(row["kind"])
    return AlertOut(
        id=row["id"], district_code=row.get("district_code") or "", kind=row["kind"],
        kind_label=gettext(label) if label else row["kind"], subject=row["subject"], details=row["details"],
        raised_on=row["raised_on"], raised_at=row["raised_at"], resolved_at=row["resolved_at"],
        resolution=row["resolution"],
    )  # fmt: skip


@get("/api/v1/alerts", name="api.alerts.list", guards=[READ], tags=TAGS)
async def list_alerts(
    request: Req, include_resolved: FromQuery[bool] = False, cursor: FromQuery[str | None] = None,
    limit: Limit = None,
) -> AlertList:  # fmt: skip
    """Open alerts (``include_resolved=true``: all), newest first; ``next_cursor`` fetches more."""
    size = clamp_limit(limit)
    key = decode_cursor(cursor)
    after = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), UUID(key[1]))
        except (ValueError, IndexError, TypeError):
            raise bad_cursor() from None
    rows = await service.listed(caller(request), open_only=not include_resolved, limit=size + 1, after=after)
    more, rows = len(rows) > size, rows[:size]
    next_cursor = encode_cursor([rows[-1]["raised_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return AlertList([alert_out(r) for r in rows], next_cursor=next_cursor)


@post("/api/v1/alerts/{alert_id:uuid}/resolve", name="api.alerts.resolve", guards=[RESOLVE], tags=TAGS,
      status_code=200, opt={"problems": (409, 422)})  # fmt: skip
async def resolve_alert(request: Req, alert_id: FromPath[UUID], data: JSONBody[ResolveIn]) -> AlertOut:
    """Resolved with what was done (the district's administrator); 409 when already resolved."""
    return alert_out(await service.resolve(caller(request), alert_id, data.resolution))


ROUTES = [list_alerts, resolve_alert]
