"""Public notice (公示) and what follows it: approve → in_notice with the district's notice
period; the nightly ``subsidies.close_notices`` moves every award whose window is over to
``ready``; objections (异议) put an award on hold until a reviewer resolves them; after a failed
payment the clerk fixes the bank account and the award is ready again with a new payee snapshot.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.registry.service import Caller
from renshe.subsidies import calendar
from renshe.subsidies.applications import store

SYSTEM = audit.Actor(user_id=None, username="system", role=None, request_id=None)
OBJECTION_NOT_FOUND = lazy("No such objection.")
NOT_IN_NOTICE = lazy("Objections can be recorded only while the award is in public notice or ready.")
ALREADY_RESOLVED = lazy("This objection has already been resolved.")
NOT_FAILED = lazy("Only an award whose payment failed can get corrected bank details.")
CONTENT_REQUIRED = lazy("Describe the objection.")
RAISED_BY_REQUIRED = lazy("Say who raised the objection.")
BAD_RESOLUTION = lazy("Choose upheld or dismissed.")
RESOLUTION_REASON = lazy("Give a reason.")  # the decision on an objection is explained, always


def _district(caller: Caller, *roles: Role) -> UUID:
    p = caller.principal
    if not (p.is_district and p.has(*roles)):
        raise Forbidden()
    return p.org_unit.id


async def open_notice(
    tenant_id: UUID, actor: audit.Actor, approved: dict[str, Any], on: date
) -> dict[str, Any]:
    """approved → in_notice: the window from the district's ``[public_notice]`` (default 5
    working days on the official calendar)."""
    settings = (await store.unit_settings(tenant_id)).get("public_notice") or {}
    window = calendar.notice_window(
        on, int(settings.get("days", 5)), bool(settings.get("working_days", True))
    )
    new = await store.change(approved, {
        "state": "in_notice", "notice_starts_on": window.starts_on,
        "notice_ends_on": window.ends_on, "ready_on": window.ready_on,
    })  # fmt: skip
    await store.event(tenant_id, actor, approved, new)
    return new


async def close_notices(
    tenant_id: UUID, business_date: date, actor: audit.Actor = SYSTEM, *, wait: bool = False
) -> int:
    """in_notice whose window ended by ``business_date`` (``notice_ends_on <= D``, see
    ``calendar.notice_over``) → ready, inside the open transaction.
    Idempotent: a second run finds nothing left in notice. Returns how many moved.

    Awards another transaction holds are passed by, unless ``wait``: then they are waited for
    (and skipped if that transaction closed them), so a caller that must see every ended notice
    closed before it goes on — the batch build — can rely on it."""
    rows = await store.conn().fetch(
        f"""SELECT * FROM applications WHERE tenant_id = $1 AND state = 'in_notice'
              AND notice_ends_on <= $2
            ORDER BY notice_ends_on, id FOR UPDATE{"" if wait else " SKIP LOCKED"}""",
        tenant_id, business_date,
    )  # fmt: skip
    for row in rows:
        new = await store.change(dict(row), {"state": "ready"})
        await store.event(tenant_id, actor, row, new, action="application.notice_closed")
    return len(rows)


# ---------------------------------------------------------------- objections (异议)


async def record_objection(
    caller: Caller, application_id: UUID, *, raised_by: str, raised_on: date, content: str
) -> dict[str, Any]:
    """A clerk records who objected, when and what: the award goes on hold."""
    tenant_id = _district(caller, Role.CLERK, Role.REVIEWER)
    errors = {}
    if not content.strip():
        errors["content"] = CONTENT_REQUIRED
    if not raised_by.strip():
        errors["raised_by"] = RAISED_BY_REQUIRED
    for name, value in (("content", content), ("raised_by", raised_by)):
        if name not in errors and (invisible := text_rules.invisible_error(value)) is not None:
            errors[name] = invisible
    if errors:
        raise ValidationFailed(errors)
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id, lock=True)
        if row["state"] not in ("in_notice", "ready", "on_hold"):
            raise Conflict(NOT_IN_NOTICE)
        objection = await store.conn().fetchrow(
            """INSERT INTO objections (tenant_id, application_id, raised_by, raised_on, content, recorded_by,
                                     recorded_at)
               VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, now())) RETURNING *""",
            tenant_id, application_id, raised_by.strip(), raised_on, content.strip(), caller.actor.user_id,
            clock.record_time(),
        )  # fmt: skip
        if row["state"] != "on_hold":
            new = await store.change(row, {"state": "on_hold"})
            await store.event(
                tenant_id, caller.actor, row, new, content.strip(), action="application.objection"
            )
        return dict(objection)


async def objections_of(caller: Caller, application_id: UUID) -> list[dict[str, Any]]:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        row = await store.load(list(units), application_id)
        found = await store.conn().fetch(
            "SELECT * FROM objections WHERE tenant_id = $1 AND application_id = $2 ORDER BY recorded_at, id",
            row["tenant_id"], application_id,
        )  # fmt: skip
    return [dict(r) for r in found]


async def resolve_objection(
    caller: Caller, objection_id: UUID, resolution: str, comment: str | None = None, *, on: date | None = None
) -> dict[str, Any]:
    """A reviewer resolves an objection. ``upheld`` → the award is rejected and its budget
    reservation released; ``dismissed`` → back to ready if the window is over by ``on``, else
    back to in_notice (only once no other objection of the award is open)."""
    tenant_id = _district(caller, Role.REVIEWER)
    if resolution not in ("upheld", "dismissed"):
        raise ValidationFailed({"resolution": BAD_RESOLUTION})
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed({"comment": RESOLUTION_REASON})
    text_rules.refuse_invisible(comment=comment)
    day = on or store.today()
    async with tenant_transaction(caller.context()):
        found = await store.conn().fetchrow(
            "SELECT * FROM objections WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant_id, objection_id
        )
        if found is None:
            raise NotFound(OBJECTION_NOT_FOUND)
        if found["resolution"] is not None:
            raise Conflict(ALREADY_RESOLVED)
        await store.conn().execute(
            """UPDATE objections SET resolution = $3, resolution_comment = $4, resolved_by = $5,
                                     resolved_at = $6 WHERE tenant_id = $1 AND id = $2""",
            tenant_id, objection_id, resolution, comment, caller.actor.user_id, clock.now(),
        )  # fmt: skip
        row = await store.load([tenant_id], found["application_id"], lock=True)
        if row["state"] != "on_hold":
            return row
        if resolution == "upheld":
            await store.release(tenant_id, row["program_code"], row["budget_year"], row["amount_fen"])
            new = await store.change(row, {"state": "rejected", "decision_comment": comment})
            await store.event(
                tenant_id, caller.actor, row, new, comment, action="application.objection_upheld"
            )
            return new
        still_open = await store.conn().fetchval(
            """SELECT count(*) FROM objections
               WHERE tenant_id = $1 AND application_id = $2 AND resolution IS NULL""",
            tenant_id, row["id"],
        )  # fmt: skip
        if still_open:
            return row
        target = "ready" if row["ready_on"] is not None and row["ready_on"] <= day else "in_notice"
        new = await store.change(row, {"state": target})
        await store.event(
            tenant_id, caller.actor, row, new, comment, action="application.objection_dismissed"
        )
        return new


# ---------------------------------------------------------------- after a failed payment


async def correct_payee(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """payment_failed → ready with a new payee snapshot taken from the registry (the clerk has
    fixed the person's or enterprise's bank account there first)."""
    tenant_id = _district(caller, Role.CLERK)
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id, lock=True)
        store.check_version(row, version)
        if row["state"] != "payment_failed":
            raise Conflict(NOT_FAILED)
        new = await store.change(row, {"state": "ready", **await store.payee_snapshot(row)})
        await store.event(tenant_id, caller.actor, row, new, comment, action="application.payee_corrected")
        return new
