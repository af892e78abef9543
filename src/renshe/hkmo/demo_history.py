"""演示数据 — the history of the HK/MO youth grants (``renshe seed --demo``, before this month's
story in :mod:`renshe.hkmo.demo_grants`): twenty-two months of one district's grants, lived month
by month through the real services and paid by real nightly batches, bank files and returns.

* a three-year rent grant: the first year paid at approval, the second a year later after the
  "still operating" milestone, the third not due yet;
* a guaranteed loan's interest subsidy, quarterly over two years: each quarter's bank statement
  recorded and half the interest paid;
* a six-month living allowance paid month by month;
* a start-up grant paid, half clawed back five months later and recovered in two instalments;
* a three-month living allowance whose second month was not met: the rest cancelled;
* an interview-trip grant paid.

Each grant goes to a consenting youth registered by its approval (the register grows over two
years, :mod:`renshe.hkmo.demo`), the earliest first; a grant with no such youth yet waits for the
month one is registered. The
history ends two months before the seeding day, where this month's story begins. Each month: the
nightly milestone run on its first working day, the clerk's evidence and the reviewer's decision
on every tranche due the next day, that night's batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import structlog

from renshe.date_range import add_months
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import demo as batches
from renshe.hkmo import clawbacks, grants, loans, milestones, tranches
from renshe.subsidies import calendar
from renshe.subsidies.demo import Staff, at

log = structlog.get_logger(__name__)

MONTHS = 22  # how far back the history begins (the HK/MO programs are in force from 2024-09-01)
ENDS_DAYS_AGO = 60  # where this month's story (demo_grants) takes over
RENT = {"months": 12, "monthly_rent_fen": 500_000, "still_operating": True}
LOAN = loans.Loan("中国工商银行江门分行", 30_000_000, 385, 24, 3, date(2000, 1, 1))  # starts_on set per story


@dataclass(frozen=True, slots=True)
class _Planned:
    """One grant of the history: its program, facts, the month of its approval after the start,
    the tranche numbers whose milestone was not met, and a loan's terms."""

    program: str
    facts: dict[str, Any]
    month: int
    missed: tuple[int, ...] = ()
    years: int | None = None
    loan: bool = False


PLAN = (
    _Planned("hkmo_rent", RENT, 0, years=3),
    _Planned("hkmo_loan_interest", {}, 2, loan=True),
    _Planned("hkmo_living", {"months": 6}, 4),
    _Planned("hkmo_startup", {}, 6),
    _Planned("hkmo_living", {"months": 3}, 9, missed=(2,)),
    _Planned("hkmo_interview", {"trips": 2}, 12),
)
CLAWBACK = (3, 5, 500_000)  # the start-up grant (plan 3), five months after its approval, half of it
RECOVERIES = ((6, 250_000, "第一期退款"), (8, 250_000, "第二期退款，追回完毕"))  # months after its approval


def _month_day(start: date, month: int) -> date:
    """The first working day of the ``month``-th month after ``start``."""
    return calendar.next_working_day(add_months(start, month) - timedelta(days=1))


async def _due(tenant_id: UUID, grant_ids: list[UUID]) -> list[dict[str, Any]]:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        rows = await current_transaction().connection.fetch(
            """SELECT id, grant_id, seq, milestone FROM hkmo_tranches
               WHERE tenant_id = $1 AND grant_id = ANY($2::uuid[]) AND state = 'due' ORDER BY due_on, seq""",
            tenant_id, grant_ids,
        )  # fmt: skip
    return [dict(r) for r in rows]


async def pay_the_night(tenant_id: UUID, staff: Staff, business_date: date) -> None:
    """The night after ``business_date`` builds the batch, finance exports it the next morning,
    and the bank pays every line the working day after (the history's months and this month's
    story alike)."""
    with at(business_date + timedelta(days=1), 0, 50):
        built = await batches.build_nightly(tenant_id, business_date)
    morning = calendar.next_working_day(business_date)
    for batch_id in built:
        with at(morning, 9, 40):
            await batches.approve_and_export(staff.finance, tenant_id, batch_id)
        with at(calendar.next_working_day(morning), 15, 30):
            await batches.reconcile_with_failures(staff.finance, tenant_id, batch_id, 0, set())


class _History:
    def __init__(self, tenant_id: UUID, staff: Staff, youth: list[tuple[UUID, date]], start: date) -> None:
        self.tenant_id, self.staff, self.youth, self.start = tenant_id, staff, youth, start
        self.granted: dict[int, dict[str, Any]] = {}  # plan index → grant
        self.approved_in: dict[int, int] = {}  # plan index → the month it was approved
        self.missed: dict[UUID, tuple[int, ...]] = {}
        self.loan_terms: dict[UUID, loans.Loan] = {}
        self.used: set[UUID] = set()
        self.clawback: dict[str, Any] | None = None

    def _youth_by(self, day: date) -> UUID | None:
        for youth_id, registered_on in self.youth:
            if registered_on < day and youth_id not in self.used:
                self.used.add(youth_id)
                return youth_id
        return None

    async def approve(self, index: int, plan: _Planned, month: int, day: date) -> bool:
        """The grant approved on ``day`` for the earliest youth registered before it (False: none)."""
        youth_id = self._youth_by(day)
        if youth_id is None:
            return False
        loan = replace(LOAN, starts_on=day) if plan.loan else None
        draft = grants.GrantDraft(youth_id, plan.program, plan.facts, plan.years, loan)
        with at(day - timedelta(days=1), 10):
            row = await grants.create(self.staff.clerk, draft)
            row = await grants.submit(self.staff.clerk, row["id"], row["version"])
        with at(day, 11):
            row = await grants.approve(self.staff.reviewer, row["id"], row["version"], "材料齐全，同意资助")
        self.granted[index] = row
        self.approved_in[index] = month
        self.missed[row["id"]] = plan.missed
        if loan is not None:
            self.loan_terms[row["id"]] = loan
        return True

    async def milestones_of(self, day: date) -> None:
        """The clerk's evidence and the reviewer's decision on every tranche due."""
        for t in await _due(self.tenant_id, [g["id"] for g in self.granted.values()]):
            met = t["seq"] not in self.missed.get(t["grant_id"], ())
            loan = self.loan_terms.get(t["grant_id"])
            evidence = tranches.Evidence(
                met, "材料已核验" if met else "回访得知已离职，未满足发放条件",
                interest_paid_fen=loan.period_interest_fen if loan is not None and met else None,
            )  # fmt: skip
            with at(day, 10):
                await tranches.record_milestone(self.staff.clerk, t["id"], evidence)
            with at(day, 15):
                comment = "同意" if met else "不予发放，后续停发"
                await tranches.decide(self.staff.reviewer, t["id"], met, comment)

    async def clawback_steps(self, month: int, day: date) -> None:
        """The start-up grant's clawback and its two instalments, in their months."""
        grant = self.granted.get(CLAWBACK[0])
        if grant is None:
            return
        month -= self.approved_in[CLAWBACK[0]]
        if month == CLAWBACK[1]:
            with at(day, 11):
                self.clawback = await clawbacks.record(
                    self.staff.clerk, grant["id"], CLAWBACK[2], "核查发现企业经营未满六个月即停业，追回一半"
                )
        for when, amount, note in RECOVERIES:
            if month == when and self.clawback is not None:
                with at(day, 11):
                    await clawbacks.recover(self.staff.clerk, self.clawback["id"], amount, note)


async def seed_history(tenant_id: UUID, staff: Staff, youth: list[tuple[UUID, date]], today: date) -> int:
    """Live the history month by month; returns how many grants it made. ``youth``: consenting
    youth who may hold grants, with the day each was registered, earliest first."""
    start = _month_day(add_months(today, -MONTHS), 0)
    end = today - timedelta(days=ENDS_DAYS_AGO)
    history = _History(tenant_id, staff, youth, start)
    month = 0
    waiting = list(enumerate(PLAN))  # a grant waits for its month and a youth registered by then
    while (day := _month_day(start, month)) < end:
        with at(day, 0, 55):
            async with tenant_transaction(TenantContext.district(tenant_id)):
                await milestones.run(tenant_id, day - timedelta(days=1))
        for index, plan in list(waiting):
            if plan.month <= month and await history.approve(index, plan, month, day):
                waiting.remove((index, plan))
        evidence_day = calendar.next_working_day(day)
        await history.milestones_of(evidence_day)
        await pay_the_night(tenant_id, staff, evidence_day)
        await history.clawback_steps(month, calendar.add_working_days(evidence_day, 5))
        month += 1
    log.info("hkmo.demo_history_seeded", tenant=str(tenant_id), grants=len(history.granted), months=month)
    return len(history.granted)
