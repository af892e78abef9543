"""Clawbacks (追回): money a youth must pay back on a grant that turned out undeserved.

A clerk records the amount and the reason (never more than was paid and not already owed: 422
naming the amount, and the ledger's database check behind it), then each recovered instalment;
a reviewer who did not record the clawback writes off what is left. A clawback's state is derived
from its ledger entries: owed, partly recovered, recovered, written off.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.hkmo import grant_rows as rows
from renshe.hkmo import ledger
from renshe.hkmo.youth import READERS, district_of
from renshe.i18n import gettext, lazy
from renshe.numbers import yuan
from renshe.registry.service import Caller

OBJECT = "hkmo_clawback"
NO_CLAWBACK = lazy("No such clawback.")
ABOVE_PAID = lazy("At most ¥%(left)s can be clawed back: ¥%(paid)s was paid and ¥%(owed)s is already owed.")
ABOVE_OWED = lazy("At most ¥%(left)s is still owed on this clawback.")
POSITIVE = lazy("Enter an amount in fen greater than 0.")
REASON_REQUIRED = lazy("Give a reason (at most 500 characters).")
NOTHING_LEFT = lazy("Nothing is left to write off on this clawback.")
OWN_CLAWBACK = lazy("You recorded this clawback: another reviewer must write it off.")
GRANT_NOT_APPROVED = lazy("Only an approved grant can be clawed back.")


def _reason(text: str | None, field: str = "reason") -> str:
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 500:
        raise ValidationFailed({field: REASON_REQUIRED})
    text_rules.refuse_invisible(**{field: cleaned})
    return cleaned


def _positive(amount_fen: int) -> None:
    if amount_fen <= 0:
        raise ValidationFailed({"amount_fen": POSITIVE})


async def _sums(tenant_id: UUID, clawback_id: UUID) -> dict[str, int]:
    row = await rows.conn().fetchrow(
        """SELECT coalesce(sum(amount_fen) FILTER (WHERE kind = 'clawback_owed'), 0) AS owed,
                  coalesce(sum(amount_fen) FILTER (WHERE kind = 'recovered'), 0) AS recovered,
                  coalesce(sum(amount_fen) FILTER (WHERE kind = 'written_off'), 0) AS written_off
           FROM hkmo_ledger WHERE tenant_id = $1 AND clawback_id = $2""",
        tenant_id, clawback_id,
    )  # fmt: skip
    return {k: int(row[k]) for k in ("owed", "recovered", "written_off")}


def state_of(sums: dict[str, int]) -> str:
    outstanding = sums["owed"] - sums["recovered"] - sums["written_off"]
    if outstanding == sums["owed"]:
        return "owed"
    if outstanding > 0:
        return "partly_recovered"
    return "written_off" if sums["written_off"] else "recovered"


async def view(tenant_id: UUID, row: dict[str, Any]) -> dict[str, Any]:
    return _shown(row, await _sums(tenant_id, row["id"]))


def _shown(row: dict[str, Any], sums: dict[str, int]) -> dict[str, Any]:
    return {
        **{k: row[k] for k in ("id", "grant_id", "amount_fen", "reason", "recorded_at")},
        "recovered_fen": sums["recovered"], "written_off_fen": sums["written_off"],
        "outstanding_fen": sums["owed"] - sums["recovered"] - sums["written_off"], "state": state_of(sums),
    }  # fmt: skip


async def of_grant(
    tenant_id: UUID, grant_id: UUID, entries: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """The grant's clawbacks with their recovery; from the grant's ledger ``entries`` when the
    caller has read them already (one statement less), else each from the ledger."""
    found = await rows.conn().fetch(
        "SELECT * FROM hkmo_clawbacks WHERE tenant_id = $1 AND grant_id = $2 ORDER BY recorded_at, id",
        tenant_id, grant_id,
    )  # fmt: skip
    if entries is None:
        return [await view(tenant_id, dict(r)) for r in found]
    out = []
    for r in found:
        b = ledger.from_entries(entries, clawback_id=r["id"])
        sums = {"owed": b.owed, "recovered": b.recovered, "written_off": b.written_off}
        out.append(_shown(dict(r), sums))
    return out


async def _load(tenant_id: UUID, clawback_id: UUID) -> dict[str, Any]:
    row = await rows.conn().fetchrow(
        "SELECT * FROM hkmo_clawbacks WHERE tenant_id = $1 AND id = $2", tenant_id, clawback_id
    )
    if row is None:
        raise NotFound(NO_CLAWBACK)
    # writers of one grant's ledger take turns (the same lock the ledger's check takes)
    await rows.conn().execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('hkmo_ledger:' || $1::uuid::text, 0))", row["grant_id"]
    )
    return dict(row)


async def record(caller: Caller, grant_id: UUID, amount_fen: int, reason: str | None) -> dict[str, Any]:
    """A clawback owed on a grant (201); 422 above what was paid and not already owed."""
    tenant_id = district_of(caller, Role.CLERK)
    said = _reason(reason)
    _positive(amount_fen)
    async with tenant_transaction(caller.context()):
        grant = await rows.load_grant(tenant_id, grant_id, lock=True)
        if grant["state"] != "approved":
            raise Conflict(GRANT_NOT_APPROVED)
        balance = await ledger.of_grant(tenant_id, grant_id)
        left = balance.paid - balance.owed
        if amount_fen > left:
            raise ValidationFailed({"amount_fen": gettext(ABOVE_PAID) % {
                "left": yuan(max(left, 0)), "paid": yuan(balance.paid), "owed": yuan(balance.owed),
            }})  # fmt: skip
        row = dict(
            await rows.conn().fetchrow(
                """INSERT INTO hkmo_clawbacks (tenant_id, grant_id, amount_fen, reason, recorded_by,
                                               recorded_at)
                   VALUES ($1, $2, $3, $4, $5, coalesce($6, now())) RETURNING *""",
                tenant_id, grant_id, amount_fen, said, caller.actor.user_id, clock.record_time(),
            )
        )  # fmt: skip
        await ledger.append(tenant_id, grant_id, "clawback_owed", amount_fen, caller.actor.user_id,
                            clawback_id=row["id"], note=said)  # fmt: skip
        await audit.record(tenant_id, caller.actor, "hkmo_clawback.recorded", object_type=OBJECT,
                           object_id=row["id"], after={"grant_id": str(grant_id), "amount_fen": amount_fen,
                                                       "reason": said})  # fmt: skip
        return await view(tenant_id, row)


async def recover(
    caller: Caller, clawback_id: UUID, amount_fen: int, note: str | None = None
) -> dict[str, Any]:
    """An instalment recovered (a clerk); 422 above what is still owed."""
    tenant_id = district_of(caller, Role.CLERK)
    _positive(amount_fen)
    said = _reason(note, "note") if (note or "").strip() else None
    async with tenant_transaction(caller.context()):
        row = await _load(tenant_id, clawback_id)
        sums = await _sums(tenant_id, clawback_id)
        left = sums["owed"] - sums["recovered"] - sums["written_off"]
        if amount_fen > left:
            raise ValidationFailed({"amount_fen": gettext(ABOVE_OWED) % {"left": yuan(left)}})
        await ledger.append(tenant_id, row["grant_id"], "recovered", amount_fen, caller.actor.user_id,
                            clawback_id=clawback_id, note=said)  # fmt: skip
        await audit.record(
            tenant_id,
            caller.actor,
            "hkmo_clawback.recovered",
            object_type=OBJECT,
            object_id=clawback_id,
            after={"amount_fen": amount_fen, "left_fen": left - amount_fen},
        )
        return await view(tenant_id, row)


async def write_off(caller: Caller, clawback_id: UUID, reason: str | None) -> dict[str, Any]:
    """What is left of a clawback written off by a reviewer who did not record it."""
    tenant_id = district_of(caller, Role.REVIEWER)
    said = _reason(reason)
    async with tenant_transaction(caller.context()):
        row = await _load(tenant_id, clawback_id)
        if row["recorded_by"] == caller.actor.user_id:
            raise Forbidden(OWN_CLAWBACK)
        sums = await _sums(tenant_id, clawback_id)
        left = sums["owed"] - sums["recovered"] - sums["written_off"]
        if left <= 0:
            raise Conflict(NOTHING_LEFT)
        await ledger.append(tenant_id, row["grant_id"], "written_off", left, caller.actor.user_id,
                            clawback_id=clawback_id, note=said)  # fmt: skip
        await audit.record(tenant_id, caller.actor, "hkmo_clawback.written_off", object_type=OBJECT,
                           object_id=clawback_id, after={"amount_fen": left, "reason": said})  # fmt: skip
        return await view(tenant_id, row)


async def get(caller: Caller, clawback_id: UUID) -> dict[str, Any]:
    """One clawback of the district with its recovery (district roles)."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        row = await rows.conn().fetchrow(
            "SELECT * FROM hkmo_clawbacks WHERE tenant_id = $1 AND id = $2", tenant_id, clawback_id
        )
        if row is None:
            raise NotFound(NO_CLAWBACK)
        return await view(tenant_id, dict(row))
