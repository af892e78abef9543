"""Applications: the state machine, maker-checker in the service and in the database, approval
freezing amount / policy version / payee, parallel approvals against one budget, optimistic
locking, the timeline and the audit trail."""

from __future__ import annotations

import asyncio
from datetime import date

import asyncpg
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import Conflict, Forbidden
from renshe.subsidies.applications import service, store
from renshe.subsidies.applications.store import OverBudget
from renshe.subsidies.programs.sync import sync_catalogue
from tests.registry.support import audit_records, unit_id
from tests.subsidies.applications_support import (
    PENGJIANG,
    RETURNED,
    STARTUP,
    STARTUP_FEN,
    budget,
    budget_room,
    caller,
    person,
    submitted,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
ON = date(2026, 6, 1)  # a Monday


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None, admin_url: str) -> None:
    await sync_catalogue()
    await budget_room(admin_url, PENGJIANG, STARTUP, ON.year, 200 * STARTUP_FEN)


async def test_happy_path_draft_to_in_notice_with_timeline_and_audit(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    draft = await service.create(clerk, service.Draft(STARTUP, person_id=await person(), facts=RETURNED))
    assert draft["state"] == "draft" and draft["amount_fen"] == STARTUP_FEN and draft["version"] == 1
    assert store.as_json(draft["evaluation"])["eligible"] is True

    sub = await service.submit(clerk, draft["id"], draft["version"], "材料齐全")
    assert sub["state"] == "submitted" and sub["version"] == 2
    done = await service.approve(reviewer, sub["id"], sub["version"], "同意", on=ON)
    assert done["state"] == "in_notice"
    # 5 working days after Monday 2026-06-01: Tue 2 … Mon 8; ready from Tue 9
    assert (done["notice_starts_on"], done["notice_ends_on"], done["ready_on"]) == (
        date(2026, 6, 2), date(2026, 6, 8), date(2026, 6, 9),
    )  # fmt: skip

    row, timeline = await service.get(reviewer, done["id"])
    assert [(e["from_state"], e["to_state"]) for e in timeline] == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "approved"), ("approved", "in_notice"),
    ]  # fmt: skip
    assert timeline[2]["comment"] == "同意" and timeline[2]["username"] == reviewer.principal.username
    actions = [r["action"] for r in await audit_records(row["tenant_id"], row["id"])]
    assert actions == ["application.draft", "application.submitted", "application.approved",
                       "application.in_notice"]  # fmt: skip


async def test_not_eligible_draft_keeps_reasons_and_cannot_be_submitted(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    # not a graduate, not returned from abroad, mainland: none of the any-of holds
    draft = await service.create(clerk, service.Draft(STARTUP, person_id=await person(), facts={}))
    evaluation = store.as_json(draft["evaluation"])
    assert evaluation["eligible"] is False and evaluation["reasons"]
    assert draft["amount_fen"] == 0
    with pytest.raises(Conflict):
        await service.submit(clerk, draft["id"], draft["version"])


async def test_submitter_cannot_approve_nor_reject(ready: None) -> None:
    both = await caller(PENGJIANG, Role.CLERK, Role.REVIEWER)
    sub = await submitted(both)
    with pytest.raises(Forbidden):
        await service.approve(both, sub["id"], sub["version"], on=ON)
    with pytest.raises(Forbidden):
        await service.reject(both, sub["id"], sub["version"], "no")
    row, _ = await service.get(both, sub["id"])
    assert row["state"] == "submitted" and row["decided_by"] is None


async def test_database_refuses_the_submitter_as_decider(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    sub = await submitted(clerk)
    tenant = await unit_id(PENGJIANG)
    # the application role itself, bypassing the service: the CHECK still refuses
    with pytest.raises(asyncpg.CheckViolationError, match="applications_maker_checker"):
        async with tenant_transaction(TenantContext.district(tenant)):
            await current_transaction().connection.execute(
                "UPDATE applications SET state = 'rejected', decided_by = submitted_by WHERE id = $1",
                sub["id"],
            )
    # nor can an approved state exist without the frozen amount/version/year
    with pytest.raises(asyncpg.CheckViolationError, match="applications_frozen_when_approved"):
        async with tenant_transaction(TenantContext.district(tenant)):
            await current_transaction().connection.execute(
                "UPDATE applications SET state = 'approved', policy_version_id = NULL WHERE id = $1",
                sub["id"],
            )


async def test_approval_freezes_amount_version_and_payee(ready: None, admin_url: str) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    account = "6222020200112233445"
    draft = await service.create(
        clerk, service.Draft(STARTUP, person_id=await person(account=account), facts=RETURNED)
    )
    sub = await service.submit(clerk, draft["id"], draft["version"])
    before = await budget(PENGJIANG, STARTUP, ON.year)
    done = await service.approve(reviewer, sub["id"], sub["version"], on=ON)

    assert done["amount_fen"] == STARTUP_FEN and done["budget_year"] == ON.year
    async with tenant_transaction(TenantContext.none()):
        version_code = await current_transaction().connection.fetchval(
            "SELECT program_code FROM program_versions WHERE id = $1", done["policy_version_id"]
        )
    assert version_code == STARTUP
    assert done["payee_name"] == "陈美玲" and done["payee_bank_name"] == "中国工商银行江门分行"
    assert done["payee_account_masked"].endswith("3445") and account not in done["payee_account_masked"]
    assert account not in done["payee_account_enc"]
    assert store.payee_account(done) == account  # sealed for this application row
    after = await budget(PENGJIANG, STARTUP, ON.year)
    assert after["reserved_fen"] - before["reserved_fen"] == STARTUP_FEN

    # later registry changes do not move a frozen award
    async with tenant_transaction(TenantContext.district(done["tenant_id"])):
        await current_transaction().connection.execute(
            "UPDATE persons SET bank_name = '另一家银行' WHERE id = $1", done["person_id"]
        )
    row, _ = await service.get(reviewer, done["id"])
    assert row["payee_bank_name"] == "中国工商银行江门分行" and row["amount_fen"] == STARTUP_FEN


async def test_parallel_approvals_never_overspend(ready: None, admin_url: str) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewers = [await caller(PENGJIANG, Role.REVIEWER) for _ in range(3)]
    year_day = date(2031, 3, 3)  # a year of its own: its budget row is this test's alone
    n, k = 8, 3
    apps = [await submitted(clerk) for _ in range(n)]
    await budget_room(admin_url, PENGJIANG, STARTUP, year_day.year, k * STARTUP_FEN)

    results = await asyncio.gather(
        *(service.approve(reviewers[i % 3], a["id"], a["version"], on=year_day) for i, a in enumerate(apps)),
        return_exceptions=True,
    )
    approved = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(approved) == k and all(r["state"] == "in_notice" for r in approved)
    assert len(refused) == n - k and all(isinstance(r, OverBudget) for r in refused)
    assert all(isinstance(r, OverBudget) and "budget" in r.message for r in refused)
    row = await budget(PENGJIANG, STARTUP, year_day.year)
    assert row["reserved_fen"] == k * STARTUP_FEN <= row["total_fen"]
    # the refused ones are still waiting, untouched
    for a, r in zip(apps, results, strict=True):
        if isinstance(r, Exception):
            left, _ = await service.get(reviewers[0], a["id"])
            assert left["state"] == "submitted" and left["budget_year"] is None


async def test_stale_version_is_refused(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    sub = await submitted(clerk)
    with pytest.raises(Conflict):
        await service.approve(reviewer, sub["id"], sub["version"] - 1, on=ON)
    done = await service.reject(reviewer, sub["id"], sub["version"], "材料不全")
    assert done["state"] == "rejected" and done["decision_comment"] == "材料不全"
    with pytest.raises(Conflict):  # rejected: nothing more to decide
        await service.approve(reviewer, sub["id"], done["version"], on=ON)


async def test_withdraw_from_draft_and_submitted_only(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    draft = await service.create(clerk, service.Draft(STARTUP, person_id=await person(), facts=RETURNED))
    gone = await service.withdraw(clerk, draft["id"], draft["version"], "申请人撤回")
    assert gone["state"] == "withdrawn"
    sub = await submitted(clerk)
    done = await service.approve(reviewer, sub["id"], sub["version"], on=ON)
    with pytest.raises(Conflict):
        await service.withdraw(clerk, done["id"], done["version"])


async def test_other_district_cannot_see_or_decide(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    sub = await submitted(clerk)
    foreign = await caller("440704", Role.REVIEWER)
    from renshe.errors import NotFound

    with pytest.raises(NotFound):
        await service.get(foreign, sub["id"])
    with pytest.raises(NotFound):
        await service.approve(foreign, sub["id"], sub["version"], on=ON)
    # and a clerk cannot use another district's person
    with pytest.raises(NotFound):
        await service.create(
            await caller("440704", Role.CLERK),
            service.Draft(STARTUP, person_id=sub["person_id"], facts=RETURNED),
        )
