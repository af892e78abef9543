"""演示数据 — subsidy applications and disbursement batches for every district (``renshe seed --demo``).

Runs after the registry's demo people and enterprises, through the real services and as the
district's demo users: ``clerk_C`` enters and submits, ``reviewer_C`` approves or rejects (maker-
checker holds), the nightly job's steps close notices and build batches for past business dates,
``finance_C`` approves, exports and uploads a generated bank return. Dates are placed around
today (Asia/Shanghai) on the working-day calendar, so that each district shows every state:

* a reconciled batch (paid awards, refused ones ``payment_failed`` with the bank's reason; one of
  them corrected by the clerk and paid again as a follow-up line of the next batch);
* an exported batch awaiting the bank's return, and a built batch awaiting finance approval;
* ``ready`` awards whose notice ended, ``in_notice`` awards whose window includes today (the
  public notice page lists them) and ``on_hold`` awards with an open objection;
* drafts, submitted, rejected and withdrawn applications.

Each step runs at its business instant (``clock.story_at``): an application is created and
submitted on its application date in office hours, decided on its decision date, a nightly step
runs in the night after its business date, finance works the next morning, the bank answers a
working day later. So the timelines, lists, batches, jobs and the audit log carry the story's
dates, the same on every run for the same day, not the seeding time (the audit log only while the
seed holds the story clock open: ``renshe.audit.story_clock``; see ``renshe.demo_story``).

Amounts come from the programs' rules (the facts entered per program). Idempotent: a district in
which any of the chosen demo beneficiaries already has an application is left alone.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import structlog

from renshe import clock
from renshe.accounts.authentication import USER_COLUMNS, build_principal, user_roles
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import demo as batches
from renshe.registry.seed import NAMESPACE, PEOPLE_PER_DISTRICT, SEEDER
from renshe.registry.service import Caller
from renshe.subsidies import calendar
from renshe.subsidies.applications import notice, service, store

log = structlog.get_logger(__name__)

DEMO_PEOPLE = PEOPLE_PER_DISTRICT["small"]
DEMO_ENTERPRISES = 30
PARALLEL_DISTRICTS = 3  # one connection each at a time: safe with a pool of any size
SCHEMES = ("yuecai_chef", "guangdong_technician", "nanyue_housekeeping")
OCCUPATIONS = ("cantonese_chef", "elderly_carer", "cnc_machinist", "electrician", "housekeeper")
APPROVED = "材料齐全，符合条件，同意。"
REJECTIONS = ("申请材料与登记信息不一致，不予受理。", "经核查不符合申领条件。")
OBJECTIONS = (
    ("匿名来电", "反映该申请人实际未在本区从业，申请材料存疑。"),
    ("群众来信", "反映该单位招用人数与实际不符。"),
)


@dataclass(frozen=True, slots=True)
class Staff:
    """The district's demo users, as callers of the services."""

    clerk: Caller
    reviewer: Caller
    finance: Caller


@dataclass(slots=True)
class Seeder:
    """Hands out beneficiaries (each one once) and moves applications through the services."""

    staff: Staff
    persons: list[UUID]
    enterprises: list[UUID]
    rng: random.Random
    turn: int = 0
    awarded: set[UUID] = field(default_factory=set)

    def draft(self, applied_on: date) -> service.Draft:
        """The next beneficiary and a program for it, with program-specific facts."""
        self.turn += 1
        rng = self.rng
        if self.turn % 3 and self.persons:  # two persons for each enterprise
            person = self.persons.pop(0)
            if self.turn % 2:
                certified = applied_on - timedelta(days=rng.randrange(20, 300))
                facts: dict[str, Any] = {
                    "scheme": rng.choice(SCHEMES), "certificate_level": rng.randrange(1, 6),
                    "certificate_date": certified.isoformat(), "occupation": rng.choice(OCCUPATIONS),
                }  # fmt: skip
                return service.Draft(
                    "skills_cert", person_id=person, facts=facts, application_date=applied_on
                )
            facts = {"flexible_employment": True, "contributions_paid_fen": rng.randrange(30, 90) * 10_000}
            return service.Draft(
                "social_insurance", person_id=person, facts=facts, application_date=applied_on
            )
        enterprise = self.enterprises.pop(0)
        if self.turn % 2:
            facts = {
                "months": rng.choice((6, 12)),
                "monthly_rent_fen": rng.choice((150_000, 300_000, 800_000)),
            }
            return service.Draft(
                "startup_rent", enterprise_id=enterprise, facts=facts, application_date=applied_on
            )
        return service.Draft(
            "hiring_once",
            enterprise_id=enterprise,
            facts={"hires": rng.randrange(1, 6)},
            application_date=applied_on,
        )

    async def submitted(self, applied_on: date) -> dict[str, Any]:
        """Entered and submitted on ``applied_on``, in the morning."""
        with at(applied_on, 9, (self.turn * 7) % 50):
            row = await service.create(self.staff.clerk, self.draft(applied_on))
        with at(applied_on, 10, (self.turn * 7) % 50):
            return await service.submit(self.staff.clerk, row["id"], row["version"])

    async def award(self, approved_on: date) -> dict[str, Any]:
        """Entered a few working days before ``approved_on``, approved that day: in notice."""
        row = await self.submitted(calendar.add_working_days(approved_on, -3))
        self.awarded.add(row["id"])
        try:
            with at(approved_on, 15, (self.turn * 7) % 50):
                return await service.approve(
                    self.staff.reviewer, row["id"], row["version"], APPROVED, on=approved_on
                )
        except store.OverBudget:  # the budget is spent: the application waits for the next year's
            log.warning("demo.over_budget", program=row["program_code"])
            return row


@contextmanager
def at(day: date, hour: int, minute: int = 0) -> Iterator[None]:
    """Run the enclosed step at ``day`` ``hour``:``minute`` Asia/Shanghai (never later than now:
    today's steps are not dated in the future)."""
    instant = min(datetime.combine(day, time(hour, minute), clock.SHANGHAI), clock.now())
    with clock.story_at(instant):
        yield


def _night_after(day: date) -> date:
    """The nightly run for business date ``day`` runs just after midnight."""
    return day + timedelta(days=1)


async def demo_staff(code: str) -> Staff | None:
    """The district's demo clerk, reviewer and finance officer as callers (None before they exist)."""
    callers = []
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        for prefix in ("clerk", "reviewer", "finance"):
            user = await conn.fetchrow(
                f"""SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id
                    WHERE u.username = $1 AND u.active""",
                f"{prefix}_{code}",
            )
            if user is None:
                return None
            principal = await build_principal(user, await user_roles(user["id"]))
            callers.append(Caller(principal, request_id="demo-seed"))
    return Staff(*callers)


async def _beneficiaries(tenant_id: UUID, code: str, today: date) -> tuple[list[UUID], list[UUID]]:
    """The district's demo people aged 20–50 and demo enterprises, with a bank account on record."""
    people = [uuid.uuid5(NAMESPACE, f"{code}:person:{i}") for i in range(DEMO_PEOPLE)]
    firms = [uuid.uuid5(NAMESPACE, f"{code}:enterprise:{i}") for i in range(DEMO_ENTERPRISES)]
    async with tenant_transaction(TenantContext.district(tenant_id)):
        conn = current_transaction().connection
        found = await conn.fetch(
            """SELECT id, birth_date FROM persons WHERE tenant_id = $1 AND id = ANY($2::uuid[])
                 AND bank_account_enc IS NOT NULL AND birth_date BETWEEN $3 AND $4""",
            tenant_id, people, _years_before(today, 50), _years_before(today, 20),
        )  # fmt: skip
        firms_found = await conn.fetch(
            """SELECT id FROM enterprises WHERE tenant_id = $1 AND id = ANY($2::uuid[])
                 AND bank_account_enc IS NOT NULL""",
            tenant_id, firms,
        )  # fmt: skip
    order = {pid: n for n, pid in enumerate(people)}
    order.update({eid: n for n, eid in enumerate(firms)})
    return (
        sorted((r["id"] for r in found), key=order.__getitem__),
        sorted((r["id"] for r in firms_found), key=order.__getitem__),
    )


def _years_before(day: date, years: int) -> date:
    return date(day.year - years, day.month, min(day.day, 28))  # 29 February has no twin


async def _seeded(tenant_id: UUID, persons: list[UUID], enterprises: list[UUID]) -> bool:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        found = await current_transaction().connection.fetchval(
            """SELECT 1 FROM applications WHERE tenant_id = $1
                 AND (person_id = ANY($2::uuid[]) OR enterprise_id = ANY($3::uuid[])) LIMIT 1""",
            tenant_id, persons, enterprises,
        )  # fmt: skip
    return found is not None


async def _notice_days(tenant_id: UUID) -> tuple[int, bool]:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        settings = (await store.unit_settings(tenant_id)).get("public_notice") or {}
    return int(settings.get("days", 5)), bool(settings.get("working_days", True))


async def _close_notices(tenant_id: UUID, business_date: date) -> None:
    """The nightly ``subsidies.close_notices`` step for a past business date."""
    with at(_night_after(business_date), 0, 30):
        async with tenant_transaction(TenantContext.district(tenant_id)):
            await notice.close_notices(tenant_id, business_date, SEEDER)


async def seed_district(tenant_id: UUID, code: str, today: date | None = None) -> int:
    """Seed one district's applications and batches; returns how many applications were added."""
    today = today or store.today()
    staff = await demo_staff(code)
    persons, enterprises = await _beneficiaries(tenant_id, code, today)
    if staff is None or len(persons) < 24 or len(enterprises) < 12:
        log.warning("demo.subsidies_skipped", district=code)
        return 0
    if await _seeded(tenant_id, persons, enterprises):
        return 0
    days, working = await _notice_days(tenant_id)
    seeder = Seeder(staff, persons, enterprises, random.Random(f"renshe-demo-awards:{code}"))

    def ready_on(approved_on: date) -> date:
        return calendar.notice_window(approved_on, days, working).ready_on

    added = 0

    async def awards(count: int, approved_on: date) -> list[dict[str, Any]]:
        nonlocal added
        added += count
        return [await seeder.award(approved_on) for _ in range(count)]

    async def nightly(business_date: date) -> list[UUID]:
        with at(_night_after(business_date), 0, 45):
            return await batches.build_nightly(tenant_id, business_date)

    async def finance_morning(business_date: date, batch_id: UUID) -> date:
        """Finance approves and exports the night's batch the next working morning."""
        morning = calendar.next_working_day(business_date)
        with at(morning, 9, 30):
            await batches.approve_and_export(staff.finance, tenant_id, batch_id)
        return morning

    # 1. paid a month ago; the bank refused two payments, one of which the clerk has corrected
    first = calendar.add_working_days(today, -25)
    await awards(6, first)
    await _close_notices(tenant_id, ready_on(first))
    for batch_id in await nightly(ready_on(first)):
        morning = await finance_morning(ready_on(first), batch_id)
        answered = calendar.next_working_day(morning)
        with at(answered, 15):
            failed = await batches.reconcile_with_failures(
                staff.finance, tenant_id, batch_id, 2, seeder.awarded
            )
        if failed:
            with at(calendar.next_working_day(answered), 10):
                await notice.correct_payee(staff.clerk, failed[0], None, "银行确认账户已解冻，重新发放。")
    # 2. exported, awaiting the bank's return (with the corrected award as a follow-up line)
    second = calendar.add_working_days(today, -18)
    await awards(4, second)
    await _close_notices(tenant_id, ready_on(second))
    for batch_id in await nightly(ready_on(second)):
        await finance_morning(ready_on(second), batch_id)
    # 3. built by last week's nightly run, awaiting finance approval
    third = calendar.add_working_days(today, -12)
    await awards(4, third)
    await _close_notices(tenant_id, ready_on(third))
    await nightly(ready_on(third))
    # 4. notice ended with no objection: ready for the next nightly batch
    await awards(3, calendar.add_working_days(today, -(days + 2)))
    await _close_notices(tenant_id, today)
    # 5. in public notice now (the window includes today); two of them on hold after an objection
    current = today - timedelta(days=1) if not working else calendar.add_working_days(today, -2)
    held = (await awards(6, current))[:2]
    for row, (who, what) in zip(held, OBJECTIONS, strict=True):
        if row["state"] == "in_notice":
            with at(today, 9):
                await notice.record_objection(
                    staff.clerk, row["id"], raised_by=who, raised_on=today, content=what
                )
    # 6. the clerk's desk: drafts, submitted, rejected and withdrawn applications
    clerk, reviewer = staff.clerk, staff.reviewer
    for _ in range(2):
        with at(today, 8, 40):
            await service.create(clerk, seeder.draft(today))
        await seeder.submitted(calendar.add_working_days(today, -1))
    for reason in REJECTIONS:
        row = await seeder.submitted(calendar.add_working_days(today, -4))
        with at(calendar.add_working_days(today, -3), 16):
            await service.reject(reviewer, row["id"], row["version"], reason)
    with at(today, 8, 50):
        row = await service.create(clerk, seeder.draft(today))
        await service.withdraw(clerk, row["id"], row["version"], "申请人撤回。")
    row = await seeder.submitted(calendar.add_working_days(today, -2))
    with at(calendar.add_working_days(today, -1), 11):
        await service.withdraw(clerk, row["id"], row["version"], "申请人另行申报其他项目。")
    return added + 8


async def each_district(
    seed: Callable[[UUID, str, date | None], Awaitable[int]], codes: tuple[str, ...] | None,
    today: date | None,
) -> dict[str, int]:  # fmt: skip
    """``seed(tenant_id, code, today)`` for every active district (or those in ``codes``), a few
    districts at once; what each returned, by district code. Every domain's demo seeds this way."""
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch(
            "SELECT id, code FROM org_units WHERE active AND kind = 'district' ORDER BY code"
        )
    chosen = [(r["id"], r["code"]) for r in rows if codes is None or r["code"] in codes]
    gate = asyncio.Semaphore(PARALLEL_DISTRICTS)

    async def one(tenant_id: UUID, code: str) -> int:
        async with gate:  # each district's steps are sequential; districts are independent
            return await seed(tenant_id, code, today)

    counts = await asyncio.gather(*(one(tenant_id, code) for tenant_id, code in chosen))
    return {code: n for (_, code), n in zip(chosen, counts, strict=True)}


async def seed_demo_subsidies(
    codes: tuple[str, ...] | None = None, today: date | None = None
) -> dict[str, int]:
    """Seed every active district (or those in ``codes``); returns applications added per district."""
    return await each_district(seed_district, codes, today)
