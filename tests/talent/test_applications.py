"""Talent-card applications (issue 10 §2): judged by the tiers' conditions with the reasons shown,
the employer's confirmation, maker-checker in the service and in the database, a lower tier on
approval, optimistic locking, the timeline and the audit trail; bad input named by field."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import applications
from renshe.talent.application_store import as_json
from tests.registry.support import audit_records, superuser, unit_id
from tests.subsidies.applications_support import caller
from tests.talent.support import JIANGHAI, PENGJIANG, approved, evidence, parties, staff

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None) -> None:
    await sync_catalogue()


async def test_apply_confirm_submit_and_approve_a_lower_tier_with_timeline_and_audit(ready: None) -> None:
    clerk, reviewer = await staff()
    person_id, employer_id = await parties()
    row = await applications.create(clerk, evidence(person_id, employer_id, tier="B"))
    assert row["state"] == "draft" and row["version"] == 1 and row["number"].startswith("RC440703-")
    judged = as_json(row["evaluation"])
    # a doctorate meets B and C, not A: every tier is judged, with A's reasons kept
    assert {t: v["eligible"] for t, v in judged["tiers"].items()} == {"A": False, "B": True, "C": True}
    assert judged["tiers"]["A"]["reasons"] and judged["best_tier"] == "B"

    row = await applications.confirm_employer(clerk, row["id"], row["version"], "人事部 李经理")
    assert row["state"] == "draft" and row["employer_confirmed_by"] == "人事部 李经理"
    row = await applications.submit(clerk, row["id"], row["version"], "材料齐全")
    row = await applications.approve(reviewer, row["id"], row["version"], "C", "按C类核准")
    assert (row["state"], row["tier_claimed"], row["tier_approved"]) == ("approved", "B", "C")
    assert row["approved_on"] == clock.today() and row["policy_version_id"] is not None

    _, timeline = await applications.get(reviewer, row["id"])
    assert [(e["from_state"], e["to_state"]) for e in timeline] == [
        (None, "draft"), ("draft", "draft"), ("draft", "submitted"), ("submitted", "approved"),
    ]  # fmt: skip
    actions = [r["action"] for r in await audit_records(await unit_id(PENGJIANG), row["id"])]
    assert actions == [
        "talent_application.draft", "talent_application.employer_confirmed",
        "talent_application.submitted", "talent_application.approved",
    ]  # fmt: skip


async def test_a_tier_not_met_is_refused_with_every_reason(ready: None) -> None:
    clerk, _ = await staff()
    person_id, employer_id = await parties()
    bad = evidence(
        person_id, employer_id, tier="A", qualifications=("masters",), months=3, civil_servant=True
    )
    with pytest.raises(ValidationFailed) as refused:
        await applications.create(clerk, bad)
    reasons = list(refused.value.errors.values())
    assert len(reasons) == 3, reasons  # the qualification, the months, the civil servant
    assert all(key.startswith("reasons[") for key in refused.value.errors)


async def test_an_ended_contract_another_districts_person_and_an_unknown_employer_are_named(
    ready: None,
) -> None:
    clerk, _ = await staff()
    person_id, employer_id = await parties()
    with pytest.raises(ValidationFailed) as ended:
        await applications.create(clerk, evidence(person_id, employer_id, contract_end=clock.today()))
    assert set(ended.value.errors) == {"contract_end"}

    foreign_person, foreign_employer = await parties(JIANGHAI)
    with pytest.raises(ValidationFailed) as foreign:
        await applications.create(clerk, evidence(foreign_person, foreign_employer))
    assert set(foreign.value.errors) == {"person_id", "employer_id"}


async def test_the_submitter_cannot_decide_and_the_database_refuses_it_too(
    ready: None, admin_url: str
) -> None:
    both = await caller(PENGJIANG, Role.CLERK, Role.REVIEWER)
    person_id, employer_id = await parties()
    row = await applications.create(both, evidence(person_id, employer_id))
    row = await applications.confirm_employer(both, row["id"], row["version"], "人事部 李经理")
    row = await applications.submit(both, row["id"], row["version"])
    with pytest.raises(Forbidden):
        await applications.approve(both, row["id"], row["version"])
    with pytest.raises(Forbidden):
        await applications.reject(both, row["id"], row["version"], "不符合")
    conn = await superuser(admin_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="maker_checker"):
            await conn.execute(
                "UPDATE talent_applications SET decided_by = submitted_by WHERE id = $1", row["id"]
            )
    finally:
        await conn.close()


async def test_approval_needs_the_employers_confirmation_and_no_higher_tier(ready: None) -> None:
    clerk, reviewer = await staff()
    person_id, employer_id = await parties()
    row = await applications.create(clerk, evidence(person_id, employer_id, tier="B"))
    row = await applications.submit(clerk, row["id"], row["version"])
    with pytest.raises(Conflict):
        await applications.approve(reviewer, row["id"], row["version"])
    row = await applications.confirm_employer(clerk, row["id"], row["version"], "人事部 李经理")
    with pytest.raises(ValidationFailed) as higher:
        await applications.approve(reviewer, row["id"], row["version"], "A")
    assert set(higher.value.errors) == {"tier"}
    with pytest.raises(Conflict):  # a stale version
        await applications.approve(reviewer, row["id"], row["version"] - 1)
    done = await applications.approve(reviewer, row["id"], row["version"])
    assert done["tier_approved"] == "B"


async def test_a_rejection_needs_a_reason_and_ends_the_application(ready: None) -> None:
    clerk, reviewer = await staff()
    person_id, employer_id = await parties()
    row = await applications.create(clerk, evidence(person_id, employer_id))
    row = await applications.submit(clerk, row["id"], row["version"])
    with pytest.raises(ValidationFailed):
        await applications.reject(reviewer, row["id"], row["version"], "  ")
    row = await applications.reject(reviewer, row["id"], row["version"], "社保月数证明不实")
    assert row["state"] == "rejected"
    with pytest.raises(Conflict):
        await applications.approve(reviewer, row["id"], row["version"])


async def test_the_database_refuses_a_state_skipping_its_machine(ready: None, admin_url: str) -> None:
    row = await approved()
    conn = await superuser(admin_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="not an allowed step"):
            await conn.execute("UPDATE talent_applications SET state = 'draft' WHERE id = $1", row["id"])
        assert row["contract_end"] > clock.today() + timedelta(days=365)
    finally:
        await conn.close()


async def test_city_roles_and_other_districts_see_no_application(ready: None) -> None:
    row = await approved()
    analyst = await caller("440700", Role.CITY_ANALYST)
    with pytest.raises(Forbidden):
        await applications.get(analyst, row["id"])
    other = await caller(JIANGHAI, Role.REVIEWER)
    with pytest.raises(NotFound):
        await applications.get(other, row["id"])
