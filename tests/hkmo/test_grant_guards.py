"""What must never happen to a grant's money, refused by the service and by the database: a
tranche released twice by two reviewers at once, a milestone recorded twice at once, a decision by
whoever recorded the evidence, a ledger entry paying more than was released or changed after the
fact; and what a clerk sees of the plan (monthly tranches, an ineligible grant's reasons) and of a
failed payment."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.date_range import add_months
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import Conflict, Forbidden
from renshe.hkmo import grants, tranches
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.grants_support import approved_grant, ledger_kinds, pay_ready_awards, staff, tranche_rows
from tests.hkmo.support import PENGJIANG, registered
from tests.registry.support import unit_id
from tests.subsidies.applications_support import admin_execute, caller

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def catalogue(db: None) -> None:
    await sync_catalogue()


async def _due_with_evidence() -> tuple[dict[str, Any], dict[str, Any]]:
    grant, clerk, _ = await approved_grant()
    first = grant["tranches"][0]
    await tranches.record_milestone(clerk, first["id"], tranches.Evidence(True, "租赁合同已核验"))
    return grant, first


async def test_two_reviewers_deciding_one_milestone_at_once_release_it_once(catalogue: None) -> None:
    grant, first = await _due_with_evidence()
    _, one, two = await staff()
    results = await asyncio.gather(
        tranches.decide(one, first["id"], True, "同意"), tranches.decide(two, first["id"], True, "同意"),
        return_exceptions=True,
    )  # fmt: skip
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"], results
    assert [k for k, _ in await ledger_kinds(PENGJIANG, grant["id"])] == ["awarded", "released"]
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        awards = await current_transaction().connection.fetchval(
            """SELECT count(*) FROM applications a JOIN hkmo_tranches t ON t.tenant_id = a.tenant_id
               AND t.award_id = a.id WHERE t.grant_id = $1""",
            grant["id"],
        )
    assert awards == 1  # one payable award, so one payment line ever


async def test_a_milestone_recorded_twice_at_once_is_recorded_once(catalogue: None) -> None:
    grant, clerk, _ = await approved_grant()
    first = grant["tranches"][0]
    other_clerk = await caller(PENGJIANG, Role.CLERK)
    results = await asyncio.gather(
        tranches.record_milestone(clerk, first["id"], tranches.Evidence(True, "第一次")),
        tranches.record_milestone(other_clerk, first["id"], tranches.Evidence(False, "第二次")),
        return_exceptions=True,
    )  # fmt: skip
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "dict"], results
    stored = (await tranche_rows(PENGJIANG, grant["id"]))[0]
    winner = next(r for r in results if isinstance(r, dict))
    assert (stored["evidence_note"], stored["version"]) == (winner["evidence_note"], winner["version"])


async def test_whoever_recorded_the_evidence_cannot_decide_it_nor_the_database_store_it(
    catalogue: None, admin_url: str
) -> None:
    both = await caller(PENGJIANG, Role.CLERK, Role.REVIEWER)
    grant, _, _ = await approved_grant()
    first = grant["tranches"][0]
    await tranches.record_milestone(both, first["id"], tranches.Evidence(True, "租赁合同已核验"))
    with pytest.raises(Forbidden):
        await tranches.decide(both, first["id"], True, "自己审核")
    with pytest.raises(asyncpg.CheckViolationError, match="hkmo_tranches_maker_checker"):
        await admin_execute(
            admin_url, "UPDATE hkmo_tranches SET decided_by = evidence_by, decided_met = true WHERE id = $1",
            first["id"],
        )  # fmt: skip


async def test_whoever_submitted_a_grant_cannot_approve_it(catalogue: None, admin_url: str) -> None:
    both = await caller(PENGJIANG, Role.CLERK, Role.REVIEWER)
    youth = await registered(PENGJIANG)
    draft = await grants.create(both, grants.GrantDraft(youth["id"], "hkmo_startup", {}))
    sent = await grants.submit(both, draft["id"], draft["version"])
    with pytest.raises(Forbidden):
        await grants.approve(both, sent["id"], sent["version"])
    with pytest.raises(asyncpg.CheckViolationError, match="hkmo_grants_maker_checker"):
        await admin_execute(
            admin_url, "UPDATE hkmo_grants SET decided_by = submitted_by WHERE id = $1", sent["id"]
        )


async def test_the_ledger_refuses_paying_more_than_was_released_and_any_change_after_the_fact(
    catalogue: None, admin_url: str
) -> None:
    grant, first = await _due_with_evidence()
    _, reviewer, _ = await staff()
    await tranches.decide(reviewer, first["id"], True, "同意")
    tenant = await unit_id(PENGJIANG)
    # as the application would write it, in the district's own transaction
    with pytest.raises(asyncpg.CheckViolationError, match="paid beyond what was released"):
        async with tenant_transaction(TenantContext.district(tenant)):
            await current_transaction().connection.execute(
                """INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, kind, amount_fen)
                   VALUES ($1, $2, $3, 'paid', $4)""",
                tenant, grant["id"], grant["tranches"][1]["id"], first["amount_fen"] + 1,
            )  # fmt: skip
    with pytest.raises(asyncpg.UniqueViolationError, match="hkmo_ledger_once_per_tranche"):
        await admin_execute(
            admin_url, """INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, kind, amount_fen)
                          VALUES ($1, $2, $3, 'released', 1)""", tenant, grant["id"], first["id"],
        )  # fmt: skip
    for statement in ("UPDATE hkmo_ledger SET amount_fen = 1 WHERE grant_id = $1",
                      "DELETE FROM hkmo_ledger WHERE grant_id = $1"):  # fmt: skip
        with pytest.raises(asyncpg.CheckViolationError, match="append-only"):
            await admin_execute(admin_url, statement, grant["id"])  # even the owner's psql
    assert [k for k, _ in await ledger_kinds(PENGJIANG, grant["id"])] == ["awarded", "released"]


async def test_a_living_allowance_is_planned_as_monthly_tranches_after_approval(catalogue: None) -> None:
    grant, _, _ = await approved_grant(program="hkmo_living", facts={"months": 6})
    today = clock.today()
    assert [(t["seq"], t["amount_fen"], t["state"], t["due_on"]) for t in grant["tranches"]] == [
        (i + 1, 100_000, "due" if i == 0 else "planned", add_months(today, i)) for i in range(6)
    ]
    assert grant["balance"]["awarded_fen"] == 600_000


async def test_an_ineligible_grant_keeps_its_reasons_and_cannot_be_submitted(catalogue: None) -> None:
    clerk, _, _ = await staff()
    youth = await registered(PENGJIANG)
    facts = {"losses_fen": 4_000_000, "operated_months": 3, "received_startup_funding": False}
    draft = await grants.create(clerk, grants.GrantDraft(youth["id"], "hkmo_failure", facts))
    assert draft["evaluation"]["eligible"] is False and draft["evaluation"]["reasons"]
    assert draft["tranches"] == [] and draft["amount_fen"] == 0
    with pytest.raises(Conflict):
        await grants.submit(clerk, draft["id"], draft["version"])


async def test_a_failed_payment_shows_on_the_tranche_and_in_the_ledger(
    catalogue: None, admin_url: str
) -> None:
    grant, first = await _due_with_evidence()
    _, reviewer, _ = await staff()
    released = await tranches.decide(reviewer, first["id"], True, "同意")
    assert released["award_id"]
    await pay_ready_awards(admin_url, PENGJIANG, clock.today(), fail=True)  # the account was closed
    stored = (await tranche_rows(PENGJIANG, grant["id"]))[0]
    assert stored["state"] == "payment_failed"
    assert [k for k, _ in await ledger_kinds(PENGJIANG, grant["id"])] == ["awarded", "released", "failed"]
    view = await grants.get(await caller(PENGJIANG, Role.CLERK), grant["id"])
    assert view["balance"]["in_payment_fen"] == first["amount_fen"] and view["balance"]["paid_fen"] == 0


async def test_a_grant_over_its_yearly_cap_is_kept_with_the_reason(catalogue: None) -> None:
    """The interview grant's cap (4 trips, 2,000 a year) used up by an approved grant: a fifth trip
    is a draft whose reason names the cap (it once failed to store: a cap's amount in its reason)."""
    grant, clerk, _ = await approved_grant(program="hkmo_interview", facts={"trips": 4})
    youth_id = grant["youth_id"]
    more = await grants.create(clerk, grants.GrantDraft(youth_id, "hkmo_interview", {"trips": 1}))
    assert more["evaluation"]["eligible"] is False and more["tranches"] == []
    assert any("2,000" in r["text"] or "2000" in r["text"] for r in more["evaluation"]["reasons"]), more[
        "evaluation"
    ]
