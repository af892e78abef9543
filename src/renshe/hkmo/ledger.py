"""A grant's ledger (资助台账): append-only entries, and the balances derived from them.

Kinds: ``awarded`` (the grant's planned total, at approval), ``released`` (a tranche's milestone
met: payable), ``paid`` / ``failed`` (the bank's answer, written by the database when the
tranche's award moves), ``cancelled`` (a tranche that will never be paid), ``clawback_owed``,
``recovered`` and ``written_off``. The database refuses any entry that would break a balance
(migration 0020, ``hkmo_ledger_balances``); balances are never stored, only summed here — per
grant, per youth and per district.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.db.tenant import current_transaction
from renshe.errors import Conflict
from renshe.i18n import lazy

KINDS = ("awarded", "released", "paid", "failed", "cancelled", "clawback_owed", "recovered", "written_off")
KIND_LABELS = {
    "awarded": lazy("Awarded"),
    "released": lazy("Released for payment"),
    "paid": lazy("Paid"),
    "failed": lazy("Payment failed"),
    "cancelled": lazy("Cancelled"),
    "clawback_owed": lazy("Clawback owed"),
    "recovered": lazy("Recovered"),
    "written_off": lazy("Written off"),
}
UNBALANCED = lazy("The grant's ledger would no longer balance: nothing was changed.")
# the per-kind sums every balance is made of, one statement whatever the scope
_SUMS = """coalesce(sum(amount_fen) FILTER (WHERE kind = 'awarded'), 0) AS awarded,
  coalesce(sum(amount_fen) FILTER (WHERE kind = 'released'), 0) AS released,
  coalesce(sum(amount_fen) FILTER (WHERE kind = 'paid'), 0) AS paid,
  coalesce(sum(amount_fen) FILTER (WHERE kind = 'cancelled'), 0) AS cancelled,
  coalesce(sum(amount_fen) FILTER (WHERE kind = 'clawback_owed'), 0) AS owed,
  coalesce(sum(amount_fen) FILTER (WHERE kind = 'recovered'), 0) AS recovered,
  coalesce(sum(amount_fen) FILTER (WHERE kind = 'written_off'), 0) AS written_off"""


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


@dataclass(frozen=True, slots=True)
class Balance:
    """Sums over the ledger, in fen, and what they mean for the clerk."""

    awarded: int
    released: int
    paid: int
    cancelled: int
    owed: int
    recovered: int
    written_off: int

    @property
    def to_release(self) -> int:
        """Awarded, milestones not met yet (未释放)."""
        return self.awarded - self.released - self.cancelled

    @property
    def in_payment(self) -> int:
        """Released and not paid yet (待支付)."""
        return self.released - self.paid

    @property
    def outstanding(self) -> int:
        """Clawed back and neither recovered nor written off (待追回)."""
        return self.owed - self.recovered - self.written_off

    @property
    def net_paid(self) -> int:
        """What the youth keeps: paid less recovered."""
        return self.paid - self.recovered

    def to_json(self) -> dict[str, int]:
        return {
            "awarded_fen": self.awarded, "released_fen": self.released, "paid_fen": self.paid,
            "cancelled_fen": self.cancelled, "clawback_owed_fen": self.owed, "recovered_fen": self.recovered,
            "written_off_fen": self.written_off, "to_release_fen": self.to_release,
            "in_payment_fen": self.in_payment, "outstanding_fen": self.outstanding,
            "net_paid_fen": self.net_paid,
        }  # fmt: skip


def from_entries(entries: Sequence[Mapping[str, Any]], *, clawback_id: Any = None) -> Balance:
    """The balance of entries already read (a grant's page reads them all anyway), or of one
    clawback's entries — the same sums the database's check makes."""
    sums = dict.fromkeys(("awarded", "released", "paid", "cancelled", "owed", "recovered", "written_off"), 0)
    names = {"clawback_owed": "owed"}
    for e in entries:
        if clawback_id is not None and e["clawback_id"] != clawback_id:
            continue
        key = names.get(e["kind"], e["kind"])
        if key in sums:
            sums[key] += int(e["amount_fen"])
    return Balance(**sums)


def _balance(row: asyncpg.Record | None) -> Balance:
    return Balance(**{k: int(row[k]) if row else 0 for k in Balance.__dataclass_fields__})


async def append(
    tenant_id: UUID, grant_id: UUID, kind: str, amount_fen: int, actor_user_id: UUID | None, *,
    tranche_id: UUID | None = None, clawback_id: UUID | None = None, note: str | None = None,
) -> None:  # fmt: skip
    """One entry, in the open transaction; 409 when the database finds it would not balance."""
    try:
        await _conn().execute(
            """INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, clawback_id, kind, amount_fen,
                                        actor_user_id, note, at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, clock_timestamp()))""",
            tenant_id, grant_id, tranche_id, clawback_id, kind, amount_fen, actor_user_id, note,
            clock.record_time(),
        )  # fmt: skip
    except asyncpg.CheckViolationError as exc:
        if exc.constraint_name == "hkmo_ledger_balances":
            raise Conflict(UNBALANCED) from exc
        raise


async def of_grant(tenant_id: UUID, grant_id: UUID) -> Balance:
    row = await _conn().fetchrow(
        f"SELECT {_SUMS} FROM hkmo_ledger WHERE tenant_id = $1 AND grant_id = $2", tenant_id, grant_id
    )
    return _balance(row)


async def of_youth(tenant_id: UUID, youth_id: UUID) -> Balance:
    row = await _conn().fetchrow(
        f"""SELECT {_SUMS} FROM hkmo_ledger WHERE tenant_id = $1 AND grant_id IN (
              SELECT id FROM hkmo_grants WHERE tenant_id = $1 AND youth_id = $2)""",
        tenant_id, youth_id,
    )  # fmt: skip
    return _balance(row)


async def of_districts(units: list[UUID]) -> dict[UUID, Balance]:
    """Each district's balance over all its grants (a district with no entry: zeros), one statement."""
    rows = await _conn().fetch(
        f"SELECT tenant_id, {_SUMS} FROM hkmo_ledger WHERE tenant_id = ANY($1::uuid[]) GROUP BY tenant_id",
        units,
    )
    found = {r["tenant_id"]: _balance(r) for r in rows}
    return {unit: found.get(unit, _balance(None)) for unit in units}


async def entries(tenant_id: UUID, grant_id: UUID) -> list[asyncpg.Record]:
    """The grant's entries, oldest first, with the tranche's number and who wrote them — as the
    driver's read-only records (a grant's page reads hundreds; copying each into a dict was most
    of the page's time: docs/performance.md)."""
    rows = await _conn().fetch(
        """SELECT l.id, l.kind, l.amount_fen, l.at, l.note, l.tranche_id, t.seq AS tranche_seq,
                  l.clawback_id, l.actor_user_id, u.display_name AS actor_display_name
           FROM hkmo_ledger l
           -- the grant named in the join too: the planner then reads only this grant's tranches
           -- (by the (tenant, grant, seq) index), not the district's, however long their history
           LEFT JOIN hkmo_tranches t ON t.tenant_id = l.tenant_id AND t.grant_id = l.grant_id
                                     AND t.id = l.tranche_id
           LEFT JOIN users u ON u.id = l.actor_user_id
           WHERE l.tenant_id = $1 AND l.grant_id = $2 ORDER BY l.at, l.id""",
        tenant_id, grant_id,
    )  # fmt: skip
    return list(rows)
