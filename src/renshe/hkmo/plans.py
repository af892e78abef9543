"""How a grant is paid (分期计划): the tranches of each HK/MO grant type, their milestones and when
each falls due, counted in months from the grant's approval.

The amount comes from the programs machinery (the evaluation of the program version in force);
this module only cuts it into tranches. The first tranche's milestone always falls due at
approval, so the first money can flow the next night:

* interview trips, basic-level employment, start-up, failure compensation: one tranche;
* living allowance (生活补贴): one tranche a month for the months claimed, each after the youth
  is still employed that month;
* rent (租金补贴): one tranche a year for at most three years — the first when the business is
  registered and the lease signed, each later one after the business is still operating — and
  never more in all than the lifetime cap leaves;
* loan interest (乐业五邑贷贴息): one tranche per interest period of the loan, due when the period
  ends (not counted from approval), each at most the program's share of the interest the schedule
  allows, paid on the share of what the bank's statement shows (:mod:`renshe.hkmo.loans`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from renshe.date_range import add_months
from renshe.errors import ValidationFailed
from renshe.hkmo.loans import Loan
from renshe.i18n import gettext, lazy
from renshe.subsidies.programs.model import Evaluation

MILESTONE_LABELS = {
    "trips_documented": lazy("Interview trips documented"),
    "employed_at_basic_level": lazy("Employed at a basic-level post"),
    "employed_this_month": lazy("Still employed this month"),
    "business_registered": lazy("Business registered"),
    "lease_signed": lazy("Business registered and lease signed"),
    "still_operating": lazy("Business still operating"),
    "closure_documented": lazy("Closure and losses documented"),
    "interest_statement": lazy("The bank's interest statement for the period"),
}
ONE_TRANCHE = {
    "hkmo_interview": "trips_documented",
    "hkmo_basic_employment": "employed_at_basic_level",
    "hkmo_startup": "business_registered",
    "hkmo_failure": "closure_documented",
}
MONTHLY = "hkmo_living"
YEARLY = "hkmo_rent"
LOAN = "hkmo_loan_interest"
MAX_RENT_YEARS = 3
PLANNED = frozenset({*ONE_TRANCHE, MONTHLY, YEARLY, LOAN})

NOT_A_GRANT = lazy("Choose one of the Hong Kong and Macao youth grants.")
RENT_YEARS = lazy("A rent grant runs for 1 to 3 years.")
LOAN_REQUIRED = lazy("An interest subsidy needs its loan: bank, principal, rate, term, period, start.")


@dataclass(frozen=True, slots=True)
class PlannedTranche:
    seq: int
    milestone: str
    months_after_approval: int
    amount_fen: int
    fixed_due_on: date | None = None  # a loan's period ends on its own calendar
    scheduled_interest_fen: int | None = None

    def due_on(self, approved_on: date) -> date:
        return self.fixed_due_on or add_months(approved_on, self.months_after_approval)


def milestone_label(code: str) -> str:
    return gettext(MILESTONE_LABELS[code]) if code in MILESTONE_LABELS else code


def check_program(program_code: str, years: int | None, *, has_loan: bool = False) -> None:
    """422 naming the field, before anything is judged: a program this register plans, a rent
    grant's years within 1–3, a loan with an interest subsidy."""
    if program_code == LOAN and not has_loan:
        raise ValidationFailed({"loan": LOAN_REQUIRED})
    if program_code not in PLANNED:
        raise ValidationFailed({"program_code": NOT_A_GRANT})
    if years is not None and (program_code != YEARLY or not 1 <= years <= MAX_RENT_YEARS):
        raise ValidationFailed({"years": RENT_YEARS})


def _lifetime_left(evaluation: Evaluation) -> int | None:
    left = [c.remaining for c in evaluation.caps if c.cap == "lifetime" and c.unit == "fen"]
    return min(left) if left else None


def plan(
    program_code: str, evaluation: Evaluation, facts: Mapping[str, Any], *, years: int | None = None,
    loan: Loan | None = None,
) -> list[PlannedTranche]:  # fmt: skip
    """The tranches of an eligible evaluation (empty when it grants nothing). For a loan the
    evaluation is of one period's scheduled interest."""
    amount = evaluation.amount_fen
    if amount <= 0:
        return []
    if program_code == LOAN and loan is not None:
        return [
            PlannedTranche(k, "interest_statement", 0, amount, loan.period_ends(k), loan.period_interest_fen)
            for k in range(1, loan.periods + 1)
        ]
    if program_code in ONE_TRANCHE:
        return [PlannedTranche(1, ONE_TRANCHE[program_code], 0, amount)]
    if program_code == MONTHLY:
        months = max(1, int(facts.get("months") or 1))
        return _split(amount, months, "employed_this_month", "employed_this_month", step=1)
    yearly_total = amount * (years or MAX_RENT_YEARS)
    left = _lifetime_left(evaluation)
    total = yearly_total if left is None else min(yearly_total, left)
    out: list[PlannedTranche] = []
    seq = 0
    while total > 0 and seq < (years or MAX_RENT_YEARS):
        part = min(amount, total)
        out.append(PlannedTranche(seq + 1, "lease_signed" if seq == 0 else "still_operating", 12 * seq, part))
        total -= part
        seq += 1
    return out


def _split(amount: int, count: int, first: str, later: str, *, step: int) -> list[PlannedTranche]:
    """``count`` tranches ``step`` months apart, equal to the fen; the last takes the remainder."""
    count = max(1, min(count, amount))  # never a tranche of 0 fen
    each = amount // count
    return [
        PlannedTranche(
            i + 1, first if i == 0 else later, step * i, each if i < count - 1 else amount - each * i
        )
        for i in range(count)
    ]
