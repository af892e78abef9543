"""Public notice: the nightly close (through the real fan-out and job runner, idempotent),
objections putting an award on hold and their resolution, the payee correction after a failed
payment."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import Conflict, Forbidden, ValidationFailed
from renshe.jobs import nightly, runner
from renshe.subsidies.applications import notice, service, store
from renshe.subsidies.programs.sync import sync_catalogue
from tests.determinism import FrozenClock
from tests.registry.support import unit_id
from tests.subsidies.applications_support import (
    PENGJIANG,
    STARTUP,
    STARTUP_FEN,
    budget,
    budget_room,
    caller,
    submitted,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
ON = date(2026, 9, 28)  # Monday before the National Day holiday: 10-01..10-08 off, 09-28 … worked


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None, admin_url: str) -> None:
    await sync_catalogue()
    await budget_room(admin_url, PENGJIANG, STARTUP, ON.year, 200 * STARTUP_FEN)


async def _in_notice(on: date = ON) -> dict[str, Any]:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    sub = await submitted(clerk)
    return await service.approve(reviewer, sub["id"], sub["version"], on=on)


async def _state(app_id: UUID) -> str:
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        return str((await store.load([tenant], app_id))["state"])


async def _run_close_notices(day: date) -> dict[str, Any]:
    planned = [p for p in await nightly.fan_out(day, PENGJIANG) if p.kind == "subsidies.close_notices"]
    assert len(planned) == 1
    await runner.run(planned[0].tenant_id, planned[0].job_id, worker="test-notice")
    async with tenant_transaction(TenantContext.district(planned[0].tenant_id)):
        row = await current_transaction().connection.fetchrow(
            "SELECT status, result FROM jobs WHERE id = $1", planned[0].job_id
        )
    assert row["status"] == "succeeded", row
    return store.as_json(row["result"])


async def test_window_skips_the_national_day_holiday(ready: None) -> None:
    done = await _in_notice()
    # approved Mon 09-28: working days Tue 09-29, Wed 09-30, then the holiday to 10-08,
    # the make-up Saturday 10-10 is worked: 10-09 (Fri), 10-10 (Sat, 调休上班), 10-12 (Mon)
    assert done["notice_starts_on"] == date(2026, 9, 29)
    assert done["notice_ends_on"] > date(2026, 10, 8)
    from renshe.subsidies.calendar import notice_window

    assert done["notice_ends_on"] == notice_window(ON, 5).ends_on


async def test_nightly_close_moves_ended_windows_only_and_is_idempotent(ready: None) -> None:
    done = await _in_notice(date(2026, 7, 6))  # Monday; 5 working days → ends 07-13, ready 07-14
    assert done["ready_on"] == date(2026, 7, 14)
    await _run_close_notices(date(2026, 7, 12))  # the night before its last day: still open
    assert await _state(done["id"]) == "in_notice"

    result = await _run_close_notices(date(2026, 7, 13))  # the night after its last day
    assert result["moved"] >= 1
    assert await _state(done["id"]) == "ready"
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        again = await notice.close_notices(tenant, date(2026, 7, 13))  # a second run
        events = await store.history(tenant, done["id"])
    assert again == 0
    assert [e["to_state"] for e in events].count("ready") == 1
    assert events[-1]["actor_user_id"] is None  # the system moved it


async def test_objection_holds_then_dismissal_returns_to_notice_or_ready(ready: None) -> None:
    done = await _in_notice(date(2026, 8, 3))  # Monday → ready on 08-11
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    objection = await notice.record_objection(
        clerk,
        done["id"],
        raised_by="匿名群众(电话)",
        raised_on=date(2026, 8, 5),
        content="申请人并未实际创业",
    )
    assert await _state(done["id"]) == "on_hold"
    # a held award is not moved by the nightly close
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        assert await notice.close_notices(tenant, date(2026, 8, 20)) == 0
    with pytest.raises(Forbidden):  # resolving is the reviewer's
        await notice.resolve_objection(clerk, objection["id"], "dismissed", "查无此事")
    with pytest.raises(ValidationFailed) as no_reason:  # and always explained
        await notice.resolve_objection(reviewer, objection["id"], "dismissed", "  ")
    assert set(no_reason.value.errors) == {"comment"}
    assert await _state(done["id"]) == "on_hold"  # nothing applied

    back = await notice.resolve_objection(
        reviewer, objection["id"], "dismissed", "经核实属实", on=date(2026, 8, 6)
    )
    assert back["state"] == "in_notice"  # the window is still running
    with pytest.raises(Conflict):
        await notice.resolve_objection(reviewer, objection["id"], "upheld", "再次处理")

    second = await notice.record_objection(
        clerk, done["id"], raised_by="同事", raised_on=date(2026, 8, 7), content="重复申请"
    )
    back = await notice.resolve_objection(
        reviewer, second["id"], "dismissed", "重复举报", on=date(2026, 8, 12)
    )
    assert back["state"] == "ready"  # the window ended meanwhile
    listed = await notice.objections_of(reviewer, done["id"])
    assert [o["resolution"] for o in listed] == ["dismissed", "dismissed"]


async def test_upheld_objection_rejects_and_releases_the_budget(ready: None) -> None:
    before = await budget(PENGJIANG, STARTUP, ON.year)
    done = await _in_notice()
    assert (await budget(PENGJIANG, STARTUP, ON.year))["reserved_fen"] == before["reserved_fen"] + STARTUP_FEN
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    objection = await notice.record_objection(
        clerk, done["id"], raised_by="李先生", raised_on=ON, content="该企业已注销"
    )
    final = await notice.resolve_objection(reviewer, objection["id"], "upheld", "异议成立")
    assert final["state"] == "rejected"
    assert (await budget(PENGJIANG, STARTUP, ON.year))["reserved_fen"] == before["reserved_fen"]
    with pytest.raises(Conflict):  # nothing to object to any more
        await notice.record_objection(clerk, done["id"], raised_by="x", raised_on=ON, content="y")


async def test_correct_payee_after_failed_payment(ready: None) -> None:
    done = await _in_notice()
    tenant = done["tenant_id"]
    clerk = await caller(PENGJIANG, Role.CLERK)
    with pytest.raises(Conflict):  # only after a failed payment
        await notice.correct_payee(clerk, done["id"], done["version"])
    # the disbursement side marks the payment failed; the clerk fixes the account in the registry
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        for step in ("ready", "in_batch", "payment_failed"):  # the steps the database allows
            await conn.execute("UPDATE applications SET state = $2 WHERE id = $1", done["id"], step)
        failed = await store.load([tenant], done["id"])
    from renshe.registry import people
    from tests.registry.support import TESTER

    async with tenant_transaction(TenantContext.district(tenant)):
        person = await people.get_person(done["person_id"], [tenant])
        await people.update_person(
            tenant, TESTER, person.id,
            {"bank": {"account_number": "6222020200999988887", "bank_name": "中国农业银行江门分行"}},
            person.version, confirm_warnings=True,
        )  # fmt: skip
    fixed = await notice.correct_payee(clerk, done["id"], failed["version"], "更正账号")
    assert fixed["state"] == "ready"
    assert store.payee_account(fixed) == "6222020200999988887"
    assert fixed["payee_bank_name"] == "中国农业银行江门分行"
    async with tenant_transaction(TenantContext.district(tenant)):
        events = await store.history(tenant, done["id"])
    assert (events[-1]["from_state"], events[-1]["to_state"]) == ("payment_failed", "ready")


async def test_in_a_year_without_a_published_calendar_the_window_counts_weekends_only(
    db: None, admin_url: str, clock: FrozenClock
) -> None:
    """2040: no State Council notice yet. The package would guess the National Day days off;
    the rule is weekends only (and administrators are told, see test_dashboard)."""
    clock.set(date(2040, 9, 28))  # a Friday; the award is approved "today"
    await budget_room(admin_url, PENGJIANG, STARTUP, 2040, 200 * STARTUP_FEN)
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    sub = await submitted(clerk)
    done = await service.approve(reviewer, sub["id"], sub["version"])
    # Mon 10-01 … Fri 10-05 are five working days: no holiday is assumed
    assert (done["notice_starts_on"], done["notice_ends_on"]) == (date(2040, 10, 1), date(2040, 10, 5))
    assert done["application_date"] == date(2040, 9, 28)
