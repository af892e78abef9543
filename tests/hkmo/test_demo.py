"""Demo youth (``renshe seed --demo``): in each district every demo person with a Hong Kong or
Macao document who is 45 or under is a registered youth, made through the real service (its
history and audit with it), statuses in turn, one consent withdrawn, and a second run adds
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from renshe import clock
from renshe.cli.seed import seed_demo
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.hkmo import youth
from renshe.hkmo.demo import seed_demo_hkmo
from renshe.hkmo.demo_grants import CITY_TARGETS, seed_demo_grants, seed_demo_targets
from tests.registry.support import unit_id

pytestmark = pytest.mark.asyncio(loop_scope="session")
CODES = ("440781", "440785")


async def _fetch(code: str, sql: str) -> list[dict[str, Any]]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        return [dict(r) for r in await current_transaction().connection.fetch(sql, tenant)]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def seeded(db: None, settings: Any) -> None:
    await seed_demo(settings, "small", codes=CODES)


async def test_every_young_hong_kong_or_macao_person_of_the_demo_is_a_youth(seeded: None) -> None:
    for code in CODES:
        people = await _fetch(
            code,
            """SELECT p.id, p.birth_date, y.id AS youth_id, y.status, y.consent_withdrawn_at
               FROM persons p LEFT JOIN hkmo_youth y ON y.tenant_id = p.tenant_id AND y.person_id = p.id
               WHERE p.tenant_id = $1 AND p.residency IN ('hong_kong', 'macao')""",
        )
        young = [p for p in people if youth.age_on(p["birth_date"], clock.today()) <= youth.MAX_AGE]
        assert len(young) >= 5, code  # the demo registry has Hong Kong and Macao residents
        assert all(p["youth_id"] for p in young), code
        assert not any(p["youth_id"] for p in people if p not in young), code  # over 45: refused
        assert len({p["status"] for p in young}) >= 4, code
        assert sum(1 for p in young if p["consent_withdrawn_at"]) == 1, code
        history = await _fetch(code, "SELECT kind FROM hkmo_youth_events WHERE tenant_id = $1")
        assert {h["kind"] for h in history} == {"registered", "status", "consent_withdrawn"}, code
        audit = await _fetch(
            code,
            "SELECT count(*) AS n FROM audit_log WHERE tenant_id = $1 AND action = 'hkmo_youth.registered'",
        )
        assert audit[0]["n"] >= len(young), code


async def test_every_district_has_grants_in_every_state_paid_by_its_batches(seeded: None) -> None:
    for code in CODES:
        grants = await _fetch(code, "SELECT state, program_code FROM hkmo_grants WHERE tenant_id = $1")
        assert {g["state"] for g in grants} == {"draft", "submitted", "approved", "rejected"}, code
        tranches = await _fetch(
            code,
            """SELECT t.state, t.evidence_by IS NOT NULL AS evidence, a.state AS award_state
               FROM hkmo_tranches t
               LEFT JOIN applications a ON a.tenant_id = t.tenant_id AND a.id = t.award_id
               WHERE t.tenant_id = $1""",
        )
        states = {t["state"] for t in tranches}
        assert {"paid", "planned", "due", "cancelled"} <= states, (code, states)
        assert all(t["award_state"] == "paid" for t in tranches if t["state"] == "paid"), code
        assert any(t["state"] == "due" and t["evidence"] for t in tranches), code  # awaiting a decision
        assert any(t["state"] == "due" and not t["evidence"] for t in tranches), code  # awaiting evidence
        kinds = await _fetch(
            code, "SELECT kind, count(*) AS n FROM hkmo_ledger WHERE tenant_id = $1 GROUP BY kind"
        )
        assert {k["kind"] for k in kinds} >= {"awarded", "released", "paid", "cancelled", "clawback_owed",
                                               "recovered"}, code  # fmt: skip
        owed = await _fetch(
            code,
            """SELECT c.amount_fen - coalesce(sum(l.amount_fen) FILTER (WHERE l.kind = 'recovered'), 0)
                      AS left_fen
               FROM hkmo_clawbacks c JOIN hkmo_ledger l ON l.tenant_id = c.tenant_id AND l.clawback_id = c.id
               WHERE c.tenant_id = $1 GROUP BY c.id, c.amount_fen ORDER BY left_fen""",
        )
        # recovered (this month's start-up, the history's in two instalments), one still open
        assert [o["left_fen"] == 0 for o in owed] == [True, True, False], code


async def test_the_register_and_the_grants_have_two_years_of_history(seeded: None) -> None:
    """Youth registered over two years; grants approved over a year ago and paid month after month
    by the nightly batches of their own days: a rent grant's second year, a loan's quarters, an
    allowance's months; a clawback recovered in instalments; a month not met."""
    today = clock.today()
    for code in CODES:
        registered = await _fetch(code, "SELECT registered_on FROM hkmo_youth WHERE tenant_id = $1")
        assert min(r["registered_on"] for r in registered) < today - timedelta(days=700), code
        assert len({(r["registered_on"].year, r["registered_on"].month) for r in registered}) >= 6, code
        old = await _fetch(
            code,
            """SELECT g.program_code, g.decided_at FROM hkmo_grants g
               WHERE g.tenant_id = $1 AND g.state = 'approved'
                 AND g.decided_at < now() - interval '1 year'""",
        )
        assert {"hkmo_rent", "hkmo_loan_interest"} <= {g["program_code"] for g in old}, code
        paid = await _fetch(
            code,
            """SELECT DISTINCT date_trunc('month', b.created_at) AS month FROM hkmo_tranches t
               JOIN payment_lines l ON l.tenant_id = t.tenant_id AND l.application_id = t.award_id
               JOIN disbursement_batches b ON b.tenant_id = l.tenant_id AND b.id = l.batch_id
               WHERE t.tenant_id = $1 AND t.state = 'paid'""",
        )
        assert len(paid) >= 10, (code, len(paid))  # paid in ten months or more, each by that night's batch
        rent = await _fetch(
            code,
            """SELECT t.seq, t.state FROM hkmo_tranches t JOIN hkmo_grants g ON g.tenant_id = t.tenant_id
                 AND g.id = t.grant_id
               WHERE t.tenant_id = $1 AND g.program_code = 'hkmo_rent'
                 AND g.decided_at < now() - interval '1 year'
               ORDER BY t.seq""",
        )
        assert [t["state"] for t in rent][:2] == ["paid", "paid"] and rent[2]["state"] in (
            "planned",
            "due",
        ), code
        loan_paid = await _fetch(
            code,
            """SELECT count(*) AS n FROM hkmo_tranches t JOIN hkmo_grants g ON g.tenant_id = t.tenant_id
                 AND g.id = t.grant_id
               WHERE t.tenant_id = $1 AND g.program_code = 'hkmo_loan_interest' AND t.state = 'paid'""",
        )
        assert loan_paid[0]["n"] >= 4, code  # quarter after quarter


async def test_the_city_has_this_years_targets_with_every_districts_share(seeded: None) -> None:
    city = await unit_id("440700")
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch(
            "SELECT metric, district_id, target FROM hkmo_targets WHERE city_id = $1 AND year = $2",
            city, clock.today().year,
        )  # fmt: skip
    city_targets = {r["metric"]: r["target"] for r in rows if r["district_id"] is None}
    assert set(city_targets) == set(CITY_TARGETS) and all(
        city_targets.values()
    )  # set (by the demo or a test)
    for metric, target in city_targets.items():  # the shares add up
        assert sum(r["target"] for r in rows if r["metric"] == metric and r["district_id"]) == target


async def test_a_second_run_adds_nothing(seeded: None) -> None:
    assert await seed_demo_hkmo(CODES) == {code: 0 for code in CODES}
    assert await seed_demo_grants(CODES) == {code: 0 for code in CODES}
    assert await seed_demo_targets() is False
