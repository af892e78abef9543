"""Today's stocks beside the rollups (当前存量): what a month's cells cannot hold because it is a
state of today, not a count of events — talent cards expiring within 30 days, and each program's
budget for a year, used (paid and reserved for approved awards) and left.

Read live in the caller's open tenant transaction, summed over the given districts: small
tables, counts and sums only — never a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from renshe.db.tenant import current_transaction, within
from renshe.talent.listing import EXPIRING_DAYS, expiring_by

TIERS = ("A", "B", "C")


@dataclass(frozen=True, slots=True)
class Budget:
    """One program's budget for a year over the districts read (预算执行)."""

    program_code: str
    total_fen: int
    paid_fen: int
    reserved_fen: int  # approved awards not paid yet

    @property
    def left_fen(self) -> int:
        return self.total_fen - self.paid_fen - self.reserved_fen

    @property
    def used_share(self) -> float | None:
        return (self.paid_fen + self.reserved_fen) / self.total_fen if self.total_fen else None


@dataclass(frozen=True, slots=True)
class Stocks:
    today: date
    expiring_days: int
    cards_expiring: dict[str, int]  # tier → active cards whose validity ends within the window
    year: int
    budgets: list[Budget]

    @property
    def cards_expiring_total(self) -> int:
        return sum(self.cards_expiring.values())

    @property
    def budget_total(self) -> Budget:
        return Budget(
            "",
            sum(b.total_fen for b in self.budgets),
            sum(b.paid_fen for b in self.budgets),
            sum(b.reserved_fen for b in self.budgets),
        )


async def read(tenant_ids: list[UUID], today: date, year: int, programs: tuple[str, ...] = ()) -> Stocks:
    """The stocks of ``tenant_ids`` (in the open transaction); ``programs`` narrows the budgets
    (empty: every program)."""
    conn = current_transaction().connection
    if not tenant_ids:
        return Stocks(today, EXPIRING_DAYS, dict.fromkeys(TIERS, 0), year, [])
    unit_sql, unit_arg = within("tenant_id", tenant_ids)
    cards = await conn.fetch(
        f"""SELECT tier, count(*)::bigint AS n FROM talent_cards
            WHERE {unit_sql} AND state = 'active' AND valid_until <= $2 GROUP BY tier""",
        unit_arg, expiring_by(today),
    )  # fmt: skip
    budgets = await conn.fetch(
        f"""SELECT program_code, sum(total_fen)::bigint AS total, sum(paid_fen)::bigint AS paid,
                   sum(reserved_fen)::bigint AS reserved
            FROM budgets WHERE {unit_sql} AND year = $2
              AND (cardinality($3::text[]) = 0 OR program_code = ANY($3::text[]))
            GROUP BY program_code ORDER BY program_code""",
        unit_arg, year, list(programs),
    )  # fmt: skip
    expiring = dict.fromkeys(TIERS, 0) | {r["tier"]: r["n"] for r in cards}
    return Stocks(
        today,
        EXPIRING_DAYS,
        expiring,
        year,
        [Budget(r["program_code"], r["total"], r["paid"], r["reserved"]) for r in budgets],
    )
