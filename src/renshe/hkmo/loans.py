"""Guaranteed start-up loans (乐业五邑贷) behind an interest-subsidy grant: the loan's terms, its
schedule of periods, and the subsidy of one period from the bank's statement.

The schedule is interest-only on the whole principal (the guaranteed start-up loans repay the
principal at the end): each period's interest is ``principal × annual rate × months / 12``,
rounded down to the fen. A period's tranche falls due when the period ends; its milestone is the
bank's statement of the interest actually paid, which may be less than the schedule (an early
repayment) but never more (422, and the database's CHECK).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe import date_range, text_rules
from renshe.date_range import add_months
from renshe.errors import ValidationFailed
from renshe.hkmo.grant_rows import conn
from renshe.i18n import gettext, lazy

PERIODS = (1, 3, 6, 12)
MAX_RATE_BP = 2400

BANK = lazy("Name the lending bank (at most 100 characters).")
PRINCIPAL = lazy("Enter the principal in fen, greater than 0.")
RATE = lazy("Enter the annual rate in basis points, from 1 to 2400 (365 for 3.65 percent).")
TERM = lazy("The term is 1 to 120 months, a whole number of interest periods.")
PERIOD = lazy("The interest period is 1, 3, 6 or 12 months.")
START = lazy("Enter the loan's start date.")
STATEMENT_REQUIRED = lazy("Enter the interest the bank's statement shows as paid for this period.")
OVER_SCHEDULE = lazy("The schedule allows at most ¥%(most)s of interest for this period.")


@dataclass(frozen=True, slots=True)
class Loan:
    bank: str
    principal_fen: int
    annual_rate_bp: int
    term_months: int
    period_months: int
    starts_on: date

    def checked(self) -> Loan:
        """The loan as stored; 422 naming every field that is wrong (``loan.<field>``)."""
        errors: dict[str, str] = {}
        bank = self.bank.strip()
        if not bank or len(bank) > 100 or text_rules.has_invisible(bank):
            errors["loan.bank"] = BANK
        if self.principal_fen <= 0:
            errors["loan.principal_fen"] = PRINCIPAL
        if not 1 <= self.annual_rate_bp <= MAX_RATE_BP:
            errors["loan.annual_rate_bp"] = RATE
        if self.period_months not in PERIODS:
            errors["loan.period_months"] = PERIOD
        elif not 1 <= self.term_months <= 120 or self.term_months % self.period_months:
            errors["loan.term_months"] = TERM
        if not date_range.in_range(self.starts_on):
            errors["loan.starts_on"] = START
        if errors:
            raise ValidationFailed(errors)
        return Loan(bank, self.principal_fen, self.annual_rate_bp, self.term_months, self.period_months,
                    self.starts_on)  # fmt: skip

    @property
    def periods(self) -> int:
        return self.term_months // self.period_months

    @property
    def period_interest_fen(self) -> int:
        """The interest the schedule allows for one period, rounded down to the fen."""
        return self.principal_fen * self.annual_rate_bp * self.period_months // (10_000 * 12)

    def period_ends(self, seq: int) -> date:
        return add_months(self.starts_on, self.period_months * seq)


def statement_checked(interest_paid_fen: int | None, scheduled_fen: int | None) -> int:
    """The bank's statement of one period: required, not negative, within the schedule (422)."""
    if interest_paid_fen is None or interest_paid_fen < 0:
        raise ValidationFailed({"interest_paid_fen": STATEMENT_REQUIRED})
    if scheduled_fen is not None and interest_paid_fen > scheduled_fen:
        most = f"{scheduled_fen // 100:,}.{scheduled_fen % 100:02d}"
        raise ValidationFailed({"interest_paid_fen": gettext(OVER_SCHEDULE) % {"most": most}})
    return interest_paid_fen


async def insert(tenant_id: UUID, grant_id: UUID, loan: Loan) -> None:
    await conn().execute(
        """INSERT INTO hkmo_loans (tenant_id, grant_id, bank, principal_fen, annual_rate_bp, term_months,
                                   period_months, starts_on)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        tenant_id, grant_id, loan.bank, loan.principal_fen, loan.annual_rate_bp, loan.term_months,
        loan.period_months, loan.starts_on,
    )  # fmt: skip


async def of_grant(tenant_id: UUID, grant_id: UUID) -> Loan | None:
    row = await conn().fetchrow(
        """SELECT bank, principal_fen, annual_rate_bp, term_months, period_months, starts_on
           FROM hkmo_loans WHERE tenant_id = $1 AND grant_id = $2""",
        tenant_id, grant_id,
    )  # fmt: skip
    return None if row is None else Loan(**dict(row))


def view(loan: Loan | None) -> dict[str, Any] | None:
    if loan is None:
        return None
    return {
        "bank": loan.bank, "principal_fen": loan.principal_fen, "annual_rate_bp": loan.annual_rate_bp,
        "term_months": loan.term_months, "period_months": loan.period_months, "starts_on": loan.starts_on,
        "period_interest_fen": loan.period_interest_fen,
    }  # fmt: skip
