"""演示数据 — talent cards for every district (``renshe seed --demo``), after the subsidies.

Through the real services and as the district's demo users (``clerk_C`` applies, confirms and
submits, ``reviewer_C`` decides), each step at its business instant, so that every district shows
cards in every state and applications in every state:

* cards issued a few weeks ago and in force; one of them reported lost and reissued under a new
  number, one revoked with a reason;
* a card whose labour contract ends in three weeks (so its validity does): the nightly sweep
  puts it on the clerks' renewal reminder list;
* a card whose contract ended last week: expired by the sweep;
* an approval waiting for tonight's issuance, a submitted application in the reviewer's queue, a
  draft, a rejected and a withdrawn application.

All within the last eight weeks: every demo person is registered before that
(``renshe.demo_story.REGISTERED_BY_DAYS``), so nobody applies before being registered. The people
are taken from the end of the district's demo list (the subsidies take theirs from the start).
Idempotent: a district where any demo person has a talent-card application is left alone.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import structlog

from renshe import clock
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry.seed import NAMESPACE, PEOPLE_PER_DISTRICT
from renshe.subsidies import calendar
from renshe.subsidies.demo import Staff, at, demo_staff, each_district
from renshe.talent import applications, cards, issuance, publishing, sweep

log = structlog.get_logger(__name__)

PEOPLE = PEOPLE_PER_DISTRICT["small"]
ENTERPRISES = 30
# (tier, qualifications, months) a clerk enters for each demo talent, in turn
EVIDENCE = (
    ("B", ("doctorate",), 36),
    ("C", ("masters",), 18),
    ("A", ("full_senior_title", "doctorate"), 60),
    ("B", ("deputy_senior_title",), 24),
    ("C", ("technician",), 12),
)
WHO_CONFIRMED = "人力资源部 张经理（电话确认）"
APPROVED = "材料齐全，符合条件，同意。"


class Talents:
    """Hands out the district's demo people (each once) and moves their applications on."""

    def __init__(self, staff: Staff, persons: list[UUID], employers: list[UUID]) -> None:
        self.staff, self.persons, self.employers, self.turn = staff, persons, employers, 0

    def evidence(self, applied_on: date, contract_end: date) -> applications.Evidence:
        self.turn += 1
        tier, qualifications, months = EVIDENCE[self.turn % len(EVIDENCE)]
        return applications.Evidence(
            person_id=self.persons.pop(), employer_id=self.employers[self.turn % len(self.employers)],
            tier_claimed=tier, social_insurance_months=months, contract_end=contract_end,
            qualifications=qualifications, application_date=applied_on,
        )  # fmt: skip

    async def draft(self, applied_on: date, contract_end: date | None = None) -> dict[str, Any]:
        with at(applied_on, 9, (self.turn * 7) % 50):
            return await applications.create(
                self.staff.clerk, self.evidence(applied_on, contract_end or applied_on + timedelta(days=1500))
            )

    async def submitted(self, applied_on: date, contract_end: date | None = None) -> dict[str, Any]:
        row = await self.draft(applied_on, contract_end)
        with at(applied_on, 10, (self.turn * 7) % 50):
            row = await applications.confirm_employer(
                self.staff.clerk, row["id"], row["version"], WHO_CONFIRMED
            )
            return await applications.submit(self.staff.clerk, row["id"], row["version"])

    async def approved(self, approved_on: date, contract_end: date | None = None) -> dict[str, Any]:
        row = await self.submitted(calendar.add_working_days(approved_on, -2), contract_end)
        with at(approved_on, 15, (self.turn * 7) % 50):
            return await applications.approve(
                self.staff.reviewer, row["id"], row["version"], None, APPROVED, on=approved_on
            )


async def _issue(tenant_id: UUID, rows: list[dict[str, Any]], business_date: date) -> list[str]:
    """The nightly ``talent.issue`` step of ``business_date``, just after midnight."""
    numbers = []
    with at(business_date + timedelta(days=1), 0, 40):
        signer = await issuance.signer_for_run()
        for row in rows:
            done = await issuance.issue_in_own_transaction(tenant_id, row["id"], business_date, signer)
            if done is not None:
                numbers.append(done.card_no)
        await publishing.publish_in_own_transaction(tenant_id)
    return numbers


async def _people(tenant_id: UUID, code: str) -> tuple[list[UUID], list[UUID]]:
    """The district's demo people (the subsidies start at the front: pop() takes from the back)
    and enterprises, as the registry holds them."""
    people = [uuid.uuid5(NAMESPACE, f"{code}:person:{i}") for i in range(PEOPLE)]
    firms = [uuid.uuid5(NAMESPACE, f"{code}:enterprise:{i}") for i in range(ENTERPRISES)]
    async with tenant_transaction(TenantContext.district(tenant_id)):
        conn = current_transaction().connection
        found = {r["id"] for r in await conn.fetch(
            "SELECT id FROM persons WHERE tenant_id = $1 AND id = ANY($2::uuid[])", tenant_id, people
        )}  # fmt: skip
        firms_found = {r["id"] for r in await conn.fetch(
            "SELECT id FROM enterprises WHERE tenant_id = $1 AND id = ANY($2::uuid[])", tenant_id, firms
        )}  # fmt: skip
        seeded = await conn.fetchval(
            "SELECT 1 FROM talent_applications WHERE tenant_id = $1 AND person_id = ANY($2::uuid[]) LIMIT 1",
            tenant_id, people,
        )  # fmt: skip
    if seeded:
        return [], []
    return [p for p in people if p in found], [f for f in firms if f in firms_found]


async def seed_district(tenant_id: UUID, code: str, today: date | None = None) -> int:
    """Seed one district's talent cards; returns how many applications were added."""
    today = today or clock.today()
    staff = await demo_staff(code)
    persons, employers = await _people(tenant_id, code)
    if staff is None or len(persons) < 40 or not employers:
        log.info("demo.talent_skipped", district=code)
        return 0
    talents = Talents(staff, persons[-20:], employers)

    # 1. issued five weeks ago: in force; one lost and reissued, one revoked
    first = calendar.add_working_days(today, -25)
    issued = await _issue(tenant_id, [await talents.approved(first) for _ in range(5)], first)
    with at(calendar.add_working_days(today, -10), 11):
        await cards.report_loss(staff.clerk, issued[0], "持卡人报失（钱包遗失）。")
    with at(calendar.add_working_days(today, -6), 14):
        await cards.revoke(staff.reviewer, issued[1], "经核查，持卡人已调离本市工作。")
    # 2. contracts ending: in three weeks (on the renewal list), and last week (expired)
    ending = calendar.add_working_days(today, -20)
    await _issue(tenant_id, [await talents.approved(ending, today + timedelta(days=21))], ending)
    ended = calendar.add_working_days(today, -30)
    await _issue(tenant_id, [await talents.approved(ended, today - timedelta(days=6))], ended)
    with at(today, 0, 50):  # last night's sweep
        async with tenant_transaction(TenantContext.district(tenant_id)):
            await sweep.sweep(tenant_id, today)
        await publishing.publish_in_own_transaction(tenant_id)
    # 3. the desks: approved for tonight, in the reviewer's queue, a draft, rejected, withdrawn
    await talents.approved(calendar.add_working_days(today, -1))
    await talents.submitted(calendar.add_working_days(today, -1))
    await talents.draft(today)
    row = await talents.submitted(calendar.add_working_days(today, -3))
    with at(calendar.add_working_days(today, -2), 16):
        await applications.reject(
            staff.reviewer, row["id"], row["version"], "劳动合同与社保缴纳单位不一致，不予受理。"
        )
    row = await talents.draft(calendar.add_working_days(today, -2))
    with at(calendar.add_working_days(today, -2), 17):
        await applications.withdraw(staff.clerk, row["id"], row["version"], "申请人撤回。")
    return talents.turn


async def seed_demo_talent(codes: tuple[str, ...] | None = None, today: date | None = None) -> dict[str, int]:
    """Seed every active district (or those in ``codes``); applications added per district."""
    return await each_district(seed_district, codes, today)
