"""演示数据 — the HK/MO youth grants of every district (``renshe seed --demo``, after the youth).

Through the real services, as the district's demo clerk, reviewer and finance officer, each step
at its business instant over the last six weeks, and paid by a real nightly batch, bank file and
bank return:

* a three-year rent grant whose first year is paid, with a clawback partly recovered (open);
* a six-month living allowance whose first month is paid and whose second awaits evidence;
* a three-month living allowance whose second month was not met: the rest is cancelled;
* a start-up grant paid and clawed back in full (recovered);
* a quarterly guaranteed loan's interest subsidy: the first quarter paid on the bank's statement,
  the second's statement (less than the schedule) awaiting a decision;
* an interview-trip grant whose evidence awaits the reviewer's decision;
* an interview-trip grant awaiting approval, a failure compensation rejected, a draft.

The youth are the district's consenting demo youth with a home-return permit or a residence
permit (what the programs require) and no subsidy of their own, registered before the story needs
them, taken in turn (a small demo has few: one youth may hold several grants of different kinds).
Idempotent: a district with any grant is left alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import structlog

from renshe import clock
from renshe.accounts.authentication import USER_COLUMNS, build_principal, user_roles
from renshe.date_range import add_months
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.hkmo import clawbacks, demo_history, grants, loans, milestones, targets, tranches
from renshe.registry.identifiers import DocumentType
from renshe.registry.service import Caller
from renshe.subsidies import calendar
from renshe.subsidies.demo import Staff, at, demo_staff, each_district

log = structlog.get_logger(__name__)

RENT = {"months": 12, "monthly_rent_fen": 450_000, "still_operating": True}  # 4,500 a month → 6,000 a year
PERMITS = sorted({DocumentType.HOME_RETURN_PERMIT, DocumentType.HKMO_RESIDENCE_PERMIT})
Facts = dict[str, Any]
Row = dict[str, Any]


async def _seeded(tenant_id: UUID) -> bool:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return bool(await current_transaction().connection.fetchval(
            "SELECT EXISTS (SELECT 1 FROM hkmo_grants WHERE tenant_id = $1)", tenant_id
        ))  # fmt: skip


async def _youth(tenant_id: UUID, by: date) -> list[tuple[UUID, date]]:
    """Consenting youth registered by ``by`` who hold a permit and no grant yet, earliest first,
    with the day each was registered."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        conn = current_transaction().connection
        rows = await conn.fetch(
            """SELECT y.id, y.registered_on FROM hkmo_youth y
               JOIN persons p ON p.tenant_id = y.tenant_id AND p.id = y.person_id
               WHERE y.tenant_id = $1 AND y.consent_withdrawn_at IS NULL AND y.registered_on <= $2
                 AND p.residency IN ('hong_kong', 'macao') AND p.bank_account_enc IS NOT NULL
                 AND EXISTS (SELECT 1 FROM person_documents d WHERE d.tenant_id = p.tenant_id
                             AND d.person_id = p.id AND d.doc_type = ANY($3::text[]))
                 -- no subsidy of their own in the demo: a start-up subsidy would use up the grant
                 AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.tenant_id = p.tenant_id
                                 AND a.person_id = p.id)
                 AND NOT EXISTS (SELECT 1 FROM hkmo_grants g WHERE g.tenant_id = y.tenant_id
                                 AND g.youth_id = y.id)
               ORDER BY y.registered_on, y.id""",
            tenant_id, by, PERMITS,
        )  # fmt: skip
    return [(r["id"], r["registered_on"]) for r in rows]


class _Story:
    """One district's grant story, its staff and its days."""

    def __init__(self, tenant_id: UUID, staff: Staff, today: date) -> None:
        self.tenant_id, self.staff, self.today = tenant_id, staff, today

    def day(self, working_days_ago: int) -> date:
        return calendar.add_working_days(self.today, -working_days_ago)

    async def planned(self, youth_id: UUID, program: str, facts: Facts, ago: int, **terms: Any) -> Row:
        """``terms``: a rent grant's ``years``, an interest subsidy's ``loan``."""
        draft = grants.GrantDraft(youth_id, program, facts, terms.get("years"), terms.get("loan"))
        with at(self.day(ago), 9, 30):
            return await grants.create(self.staff.clerk, draft)

    async def submitted(self, youth_id: UUID, program: str, facts: Facts, ago: int, **terms: Any) -> Row:
        row = await self.planned(youth_id, program, facts, ago, **terms)
        with at(self.day(ago), 10, 30):
            return await grants.submit(self.staff.clerk, row["id"], row["version"])

    async def approved(self, youth_id: UUID, program: str, facts: Facts, ago: int, **terms: Any) -> Row:
        row = await self.submitted(youth_id, program, facts, ago + 1, **terms)
        with at(self.day(ago), 14):
            return await grants.approve(self.staff.reviewer, row["id"], row["version"], "材料齐全，同意资助")

    async def evidence(
        self, tranche: dict[str, Any], ago: int, *, met: bool = True, note: str, interest: int | None = None
    ) -> None:
        with at(self.day(ago), 10):
            evidence = tranches.Evidence(met, note, interest_paid_fen=interest)
            await tranches.record_milestone(self.staff.clerk, tranche["id"], evidence)

    async def decided(
        self, tranche: dict[str, Any], ago: int, *, met: bool = True, comment: str = "同意"
    ) -> None:
        with at(self.day(ago), 15):
            await tranches.decide(self.staff.reviewer, tranche["id"], met, comment)

    async def paid(self, business_date: date) -> None:
        await demo_history.pay_the_night(self.tenant_id, self.staff, business_date)


async def seed_district(tenant_id: UUID, code: str, today: date | None = None) -> int:
    """Seed one district's grants; returns how many (0 when already seeded or too few youth)."""
    today = today or clock.today()
    staff = await demo_staff(code)
    if staff is None:
        return 0
    if await _seeded(tenant_id):
        return 0
    # the months of history first, to the earliest youth; this month's story to those left
    by = calendar.add_working_days(today, -31)
    earlier = await demo_history.seed_history(tenant_id, staff, await _youth(tenant_id, by), today)
    youth = [y for y, _ in await _youth(tenant_id, by)]  # without the history's: they hold grants
    if not youth:
        log.warning("hkmo.demo_grants_skipped", district=code, history=earlier)
        return earlier
    s = _Story(tenant_id, staff, today)

    def who(turn: int) -> UUID:
        return youth[turn % len(youth)]

    rent = await s.approved(who(0), "hkmo_rent", RENT, 29, years=3)
    living = await s.approved(who(1), "hkmo_living", {"months": 6}, 29)
    short = await s.approved(who(2), "hkmo_living", {"months": 3}, 29)
    startup = await s.approved(who(3), "hkmo_startup", {}, 29)
    # a quarterly guaranteed loan that began seven months before: two quarters had ended
    loan = loans.Loan("中国银行江门分行", 20_000_000, 365, 24, 3, add_months(s.day(29), -7))
    lent = await s.approved(who(8), "hkmo_loan_interest", {}, 29, loan=loan)
    for grant, note in ((rent, "营业执照及租赁合同已核验"), (living, "劳动合同及社保缴费记录已核验"),
                        (short, "劳动合同已核验"), (startup, "营业执照已核验")):  # fmt: skip
        await s.evidence(grant["tranches"][0], 28, note=note)
        await s.decided(grant["tranches"][0], 27)
    await s.evidence(
        lent["tranches"][0], 28, note="银行付息回单（第一季度）", interest=loan.period_interest_fen
    )
    await s.decided(lent["tranches"][0], 27)
    await s.paid(s.day(27))
    # a month on, the next months of the allowances fall due (the nightly milestone run)
    with at(s.day(1), 0, 55):
        async with tenant_transaction(TenantContext.district(tenant_id)):
            await milestones.run(tenant_id, s.day(1))
    short_now = await grants.get(staff.clerk, short["id"])
    if short_now["tranches"][1]["state"] == "due":
        await s.evidence(short_now["tranches"][1], 1, met=False, note="回访得知已于上月离职")
        await s.decided(short_now["tranches"][1], 0, met=False, comment="第二个月未在职，停止发放")
    # clawbacks: the start-up grant in full (recovered), part of the rent (partly recovered, open)
    with at(s.day(12), 11):
        owed = await clawbacks.record(
            staff.clerk, startup["id"], 1_000_000, "核查发现企业未实际经营，全额追回"
        )
    with at(s.day(7), 11):
        await clawbacks.recover(staff.clerk, owed["id"], 1_000_000, "已全额退回")
    with at(s.day(10), 11):
        part = await clawbacks.record(
            staff.clerk, rent["id"], 200_000, "实际租赁面积小于申报面积，追回多发部分"
        )
    with at(s.day(5), 11):
        await clawbacks.recover(staff.clerk, part["id"], 50_000, "第一期退款")
    # the desk: evidence awaiting a decision, a grant awaiting approval, a rejection, a draft
    waiting = await s.approved(who(4), "hkmo_interview", {"trips": 1}, 19)
    await s.evidence(waiting["tranches"][0], 18, note="面试通知及往返车票已核验，待审核")
    await s.submitted(who(5), "hkmo_interview", {"trips": 2}, 3)
    failed = await s.submitted(who(6), "hkmo_failure", {"losses_fen": 6_000_000, "operated_months": 9,
                                                          "received_startup_funding": True}, 6)  # fmt: skip
    with at(s.day(5), 16):
        await grants.reject(
            staff.reviewer, failed["id"], failed["version"], "亏损审计报告未加盖会计师事务所公章"
        )
    await s.planned(who(7), "hkmo_interview", {"trips": 1}, 0)
    # the loan's second quarter: the statement shows less than the schedule, awaiting a decision
    await s.evidence(lent["tranches"][1], 2, note="银行付息回单（第二季度，部分提前还款）",
                     interest=loan.period_interest_fen * 2 // 3)  # fmt: skip
    log.info("hkmo.demo_grants_seeded", district=code, history=earlier)
    return 8 + earlier


async def seed_demo_grants(codes: tuple[str, ...] | None = None, today: date | None = None) -> dict[str, int]:
    """Seed every active district (or those in ``codes``); grants per district."""
    return await each_district(seed_district, codes, today)


# This year's city targets (illustrative: the city's five-year plan of more than 10,000 youth),
# split evenly over the districts, the first taking what does not divide.
CITY_TARGETS = {
    "youth_registered": 2_000, "youth_employed_or_founding": 1_200, "startups": 140, "loans": 70,
    "amount_paid_fen": 1_500_000_000,
}  # fmt: skip


async def seed_demo_targets(city_code: str = "440700", today: date | None = None) -> bool:
    """The city administrator sets this year's targets (False when the year has them already, or
    before the demo's users exist)."""
    year = (today or clock.today()).year
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        user = await conn.fetchrow(
            f"""SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id
                WHERE u.username = $1 AND u.active""",
            f"cityadmin_{city_code}",
        )
        if user is None:
            return False
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM hkmo_targets WHERE city_id = $1 AND year = $2)",
                               user["org_unit_id"], year):  # fmt: skip
            return False
        codes = [r["code"] for r in await conn.fetch(
            "SELECT code FROM org_units WHERE parent_id = $1 AND kind = 'district' AND active ORDER BY code",
            user["org_unit_id"],
        )]  # fmt: skip
        admin = Caller(await build_principal(user, await user_roles(user["id"])), request_id="demo-seed")
    if not codes:
        return False
    shares = {code: {m: t // len(codes) + (t % len(codes) if i == 0 else 0) for m, t in CITY_TARGETS.items()}
              for i, code in enumerate(codes)}  # fmt: skip
    with at(today or clock.today(), 8, 30):
        await targets.set_targets(admin, targets.Plan(year, dict(CITY_TARGETS), shares))
    return True
