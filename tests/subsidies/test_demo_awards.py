"""Demo awards (``renshe seed --demo``): every district shows every application state, batches
awaiting approval, awaiting the bank's return and reconciled with failures, a public notice page
with today's entries — made through the real services, maker-checker respected, budgets kept,
and a second run adds nothing."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest_asyncio

from renshe.cli.seed import seed_demo
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry.seed import NAMESPACE
from renshe.subsidies.applications.public import notices_of
from renshe.subsidies.applications.store import as_json, today
from renshe.subsidies.demo import seed_demo_subsidies
from tests.registry.support import unit_id

CODES = ("440781", "440785")
STATES = {
    "draft", "submitted", "rejected", "withdrawn", "in_notice", "on_hold", "ready", "in_batch", "paid",
    "payment_failed",
}  # fmt: skip


# The demo's own applications (other tests of the session may have rows in these districts too).
# the demo's subsidy applications: not the awards of HK/MO grant tranches (the grants' own story,
# tests/hkmo/test_demo.py), whose amounts follow their grant's plan and whose approval is the grant's
DEMO = """a.tenant_id = $1 AND (a.person_id = ANY($2::uuid[]) OR a.enterprise_id = ANY($3::uuid[]))
    AND NOT EXISTS (SELECT 1 FROM hkmo_tranches t WHERE t.tenant_id = a.tenant_id AND t.award_id = a.id)"""
DEMO_BATCHES = f"""b.tenant_id = $1 AND EXISTS (SELECT 1 FROM payment_lines dl JOIN applications a
    ON a.tenant_id = dl.tenant_id AND a.id = dl.application_id WHERE dl.batch_id = b.id AND {DEMO})"""


async def _fetch(code: str, sql: str) -> list[dict[str, Any]]:
    """Rows of ``sql`` as district ``code`` sees them; $1 its id, $2/$3 its demo people/enterprises."""
    tenant = await unit_id(code)
    people = [uuid.uuid5(NAMESPACE, f"{code}:person:{i}") for i in range(300)]
    firms = [uuid.uuid5(NAMESPACE, f"{code}:enterprise:{i}") for i in range(30)]
    async with tenant_transaction(TenantContext.district(tenant)):
        args = [tenant, people, firms][: 3 if "$3" in sql else 1]
        rows = await current_transaction().connection.fetch(sql, *args)
    return [dict(r) for r in rows]


async def _totals(code: str) -> tuple[int, ...]:
    counts = await _fetch(
        code,
        f"""SELECT (SELECT count(*) FROM applications a WHERE {DEMO}) AS a,
                  (SELECT count(*) FROM application_events WHERE tenant_id = $1) AS e,
                  (SELECT count(*) FROM disbursement_batches WHERE tenant_id = $1) AS b,
                  (SELECT count(*) FROM payment_lines WHERE tenant_id = $1) AS l,
                  (SELECT count(*) FROM objections WHERE tenant_id = $1) AS o,
                  cardinality($2::uuid[]) + cardinality($3::uuid[]) AS demo""",
    )
    return tuple(counts[0].values())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def seeded(db: None, settings) -> dict[str, int]:
    # as `renshe seed --demo` does it (story clock open), with the applications in CODES only
    await seed_demo(settings, "small", codes=CODES)
    return await _counts()


async def _counts() -> dict[str, int]:
    return {code: (await _fetch(code, f"SELECT count(*) AS n FROM applications a WHERE {DEMO}"))[0]["n"]
            for code in CODES}  # fmt: skip


async def test_every_state_is_present_in_each_district(seeded: dict[str, int]) -> None:
    for code in CODES:
        assert seeded[code] >= 20
        rows = await _fetch(code, f"SELECT state, count(*) AS n FROM applications a WHERE {DEMO} GROUP BY 1")
        assert {r["state"] for r in rows} >= STATES, code
        held = await _fetch(
            code,
            f"""SELECT a.id, count(o.id) FILTER (WHERE o.resolution IS NULL) AS open_objections
               FROM applications a
               LEFT JOIN objections o ON o.tenant_id = a.tenant_id AND o.application_id = a.id
               WHERE {DEMO} AND a.state = 'on_hold' GROUP BY a.id""",
        )
        assert held and all(r["open_objections"] >= 1 for r in held)


async def test_batches_built_exported_and_reconciled_with_bank_reasons(seeded: dict[str, int]) -> None:
    for code in CODES:
        batches = await _fetch(
            code,
            f"SELECT id, state, created_by, approved_by FROM disbursement_batches b WHERE {DEMO_BATCHES}",
        )
        states = Counter(b["state"] for b in batches)
        assert {"built", "exported", "reconciled"} <= set(states), code
        for batch in batches:  # nightly batches: made by the system, approved by finance
            assert batch["created_by"] is None
            assert (batch["approved_by"] is None) == (batch["state"] == "built")
        failed = await _fetch(
            code,
            f"""SELECT l.bank_reason, a.state, a.id,
                      EXISTS (SELECT 1 FROM payment_lines f WHERE f.tenant_id = l.tenant_id
                              AND f.follows_line_id = l.id) AS followed_up
               FROM payment_lines l
               JOIN disbursement_batches b ON b.tenant_id = l.tenant_id AND b.id = l.batch_id
               JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id
               WHERE {DEMO} AND b.state = 'reconciled' AND l.state = 'failed'""",
        )
        assert len(failed) == 2
        assert all(f["bank_reason"] for f in failed)
        # the refused award still waits for the clerk; the corrected one is paid again in a follow-up line
        assert sorted((f["state"], f["followed_up"]) for f in failed) == [
            ("in_batch", True),
            ("payment_failed", False),
        ]
        events = await _fetch(
            code,
            f"""SELECT e.comment FROM application_events e
                JOIN applications a ON a.tenant_id = e.tenant_id AND a.id = e.application_id
                WHERE {DEMO} AND e.to_state = 'payment_failed'""",
        )
        assert {e["comment"] for e in events} == {f["bank_reason"] for f in failed}


async def test_public_notice_lists_awards_in_notice_today(seeded: dict[str, int]) -> None:
    day = today()
    for code in CODES:
        _, items = await notices_of(code)
        current = [i for i in items if i["starts_on"] <= day <= i["ends_on"]]
        assert len(current) >= 3, code
        assert all(i["amount_fen"] > 0 for i in current)
        assert any("*" in i["name"] and "*" in i["id_masked"] for i in current)  # a person, masked


async def test_maker_checker_and_budgets_hold(seeded: dict[str, int]) -> None:
    for code in CODES:
        decided = await _fetch(
            code,
            f"""SELECT a.id, a.submitted_by, a.decided_by,
                      (SELECT e.actor_user_id FROM application_events e WHERE e.tenant_id = a.tenant_id
                         AND e.application_id = a.id AND e.to_state = 'submitted') AS submitter,
                      (SELECT e.actor_user_id FROM application_events e WHERE e.tenant_id = a.tenant_id
                         AND e.application_id = a.id AND e.to_state IN ('approved', 'rejected')) AS checker
               FROM applications a WHERE {DEMO} AND a.decided_by IS NOT NULL""",
        )
        assert len(decided) >= 15
        for row in decided:
            assert row["submitter"] == row["submitted_by"] and row["checker"] == row["decided_by"]
            assert row["submitter"] != row["checker"]
        budgets = await _fetch(code, "SELECT * FROM budgets WHERE tenant_id = $1")
        assert budgets
        for b in budgets:
            assert b["reserved_fen"] >= 0 and b["reserved_fen"] + b["paid_fen"] <= b["total_fen"]
        awarded = await _fetch(
            code,
            f"""SELECT program_code, budget_year, sum(amount_fen) FILTER (WHERE state = 'paid') AS paid,
                      sum(amount_fen) FILTER (WHERE state <> 'paid') AS reserved
               FROM applications a WHERE {DEMO} AND budget_year IS NOT NULL
                 AND state NOT IN ('rejected', 'withdrawn') GROUP BY 1, 2""",
        )
        by_key = {(b["program_code"], b["year"]): b for b in budgets}
        assert awarded
        for a in awarded:  # every frozen amount is reserved or paid (other tests may add more)
            budget = by_key[(a["program_code"], a["budget_year"])]
            assert budget["paid_fen"] >= (a["paid"] or 0)
            assert budget["reserved_fen"] >= (a["reserved"] or 0)


async def test_amounts_follow_the_program_rules(seeded: dict[str, int]) -> None:
    rows = await _fetch(
        CODES[0],
        f"""SELECT program_code, amount_fen, evaluation, facts FROM applications a
           WHERE {DEMO} AND state NOT IN ('draft', 'withdrawn')""",
    )
    assert {r["program_code"] for r in rows} >= {"hiring_once", "social_insurance"}
    for row in rows:
        evaluation = as_json(row["evaluation"])
        assert evaluation["eligible"] and row["amount_fen"] == evaluation["amount_fen"] > 0
        facts = as_json(row["facts"])
        if row["program_code"] == "hiring_once":
            assert row["amount_fen"] == facts["hires"] * 150_000
        if row["program_code"] == "social_insurance":
            assert row["amount_fen"] == facts["contributions_paid_fen"] * 2 // 3


async def test_a_second_run_adds_nothing(seeded: dict[str, int]) -> None:
    before = [await _totals(code) for code in CODES]
    assert await seed_demo_subsidies(CODES) == dict.fromkeys(CODES, 0)
    assert [await _totals(code) for code in CODES] == before


async def test_demo_events_carry_their_business_dates(seeded: dict[str, int]) -> None:
    """Applications, decisions, timeline events and batches are dated on the story's days (spread
    over weeks), not all on the seeding day."""
    from renshe.clock import SHANGHAI

    for code in CODES:
        apps = await _fetch(
            code,
            f"""SELECT a.application_date, a.created_at, a.submitted_at, a.decided_at, a.notice_starts_on
               FROM applications a WHERE {DEMO}""",
        )
        for a in apps:  # created on its application date, in office hours
            assert a["created_at"].astimezone(SHANGHAI).date() == a["application_date"], a
            assert 8 <= a["created_at"].astimezone(SHANGHAI).hour < 18 or a["application_date"] == today()
            if a["notice_starts_on"] is not None:  # approved the working day before the notice
                assert a["decided_at"].astimezone(SHANGHAI).date() < a["notice_starts_on"], a
        days = {a["created_at"].astimezone(SHANGHAI).date() for a in apps}
        assert min(days) <= today().fromordinal(today().toordinal() - 28), "spread over weeks"
        events = await _fetch(
            code,
            f"""SELECT e.at, a.application_date FROM application_events e JOIN applications a
                  ON a.tenant_id = e.tenant_id AND a.id = e.application_id WHERE {DEMO}""",
        )
        assert all(e["at"].astimezone(SHANGHAI).date() >= e["application_date"] for e in events)
        assert len({e["at"].astimezone(SHANGHAI).date() for e in events}) >= 8
        batches = await _fetch(
            code,
            "SELECT b.business_date, b.created_at, b.approved_at FROM disbursement_batches b WHERE "
            + DEMO_BATCHES,
        )
        assert batches
        for b in batches:  # built in the night after its business date, approved the next morning
            assert b["created_at"].astimezone(SHANGHAI).date() > b["business_date"], b
            if b["approved_at"] is not None:
                assert b["approved_at"] > b["created_at"]


async def test_the_story_is_told_in_order_and_the_audit_log_tells_it_too(seeded: dict[str, int]) -> None:
    """Nobody applies before being registered; the audit log records each demo step at the
    instant its timeline does (spread over weeks, not all at seeding time); nothing lies ahead."""
    from renshe.clock import SHANGHAI

    for code in CODES:
        late = await _fetch(
            code,
            f"""SELECT a.number, r.created_at AS registered, a.created_at AS applied
                FROM applications a
                JOIN (SELECT tenant_id, id, created_at FROM persons UNION ALL
                      SELECT tenant_id, id, created_at FROM enterprises) r
                  ON r.tenant_id = a.tenant_id AND r.id = coalesce(a.person_id, a.enterprise_id)
                WHERE {DEMO} AND r.created_at >= a.created_at""",
        )
        assert late == [], "registered after applying"
        # the audit log's record of every application step is the timeline's, to the microsecond
        unmatched = await _fetch(
            code,
            f"""SELECT l.action, l.at FROM audit_log l JOIN applications a
                  ON a.tenant_id = l.tenant_id AND a.id::text = l.object_id
                WHERE {DEMO} AND l.object_type = 'application'
                  AND NOT EXISTS (SELECT 1 FROM application_events e WHERE e.tenant_id = a.tenant_id
                                  AND e.application_id = a.id AND e.at = l.at)""",
        )
        assert unmatched == [], "an application's audit record is not at its timeline's instant"
        batch_steps = await _fetch(
            code,
            f"""SELECT l.action, l.at, b.created_at, b.approved_at, b.exported_at, b.reconciled_at
                FROM audit_log l JOIN disbursement_batches b
                  ON b.tenant_id = l.tenant_id AND b.id::text = l.object_id
                WHERE l.object_type = 'disbursement_batch' AND {DEMO_BATCHES}""",
        )
        assert {r["action"] for r in batch_steps} >= {
            "disbursement.batch_built", "disbursement.batch_approved", "disbursement.batch_exported",
            "disbursement.return_applied",
        }  # fmt: skip
        for r in batch_steps:
            assert r["at"] in (r["created_at"], r["approved_at"], r["exported_at"], r["reconciled_at"]), r
        demo_audit = await _fetch(
            code,
            f"""SELECT l.at FROM audit_log l WHERE l.tenant_id = $1 AND (
                  l.object_id IN (SELECT a.id::text FROM applications a WHERE {DEMO})
                  OR l.object_id IN (SELECT b.id::text FROM disbursement_batches b WHERE {DEMO_BATCHES}))""",
        )
        days = {r["at"].astimezone(SHANGHAI).date() for r in demo_audit}
        assert len(days) >= 8 and min(days) <= today().fromordinal(today().toordinal() - 28), days
        # the export jobs ran the morning finance approved, as a worker would have
        jobs = await _fetch(
            code,
            f"""SELECT j.status, j.created_at, j.started_at, j.finished_at, b.approved_at
                FROM jobs j JOIN disbursement_batches b
                  ON b.tenant_id = j.tenant_id AND j.idempotency_key = 'export:' || b.id
                WHERE {DEMO_BATCHES}""",
        )
        assert jobs
        for j in jobs:
            assert j["status"] == "succeeded"
            assert j["created_at"] == j["started_at"] == j["finished_at"] == j["approved_at"], j
        future = await _fetch(
            code,
            f"""SELECT 'person' AS what FROM persons WHERE tenant_id = $1 AND created_at > now()
                UNION ALL SELECT 'enterprise' FROM enterprises WHERE tenant_id = $1 AND created_at > now()
                UNION ALL SELECT 'link' FROM person_enterprise_links
                  WHERE tenant_id = $1 AND created_at > now()
                UNION ALL SELECT 'application' FROM applications a WHERE {DEMO}
                  AND greatest(a.created_at, a.updated_at, a.submitted_at, a.decided_at) > now()
                UNION ALL SELECT 'event' FROM application_events WHERE tenant_id = $1 AND at > now()
                UNION ALL SELECT 'batch' FROM disbursement_batches WHERE tenant_id = $1
                  AND greatest(created_at, approved_at, exported_at, reconciled_at) > now()
                UNION ALL SELECT 'return' FROM bank_returns WHERE tenant_id = $1 AND uploaded_at > now()
                UNION ALL SELECT 'job' FROM jobs WHERE tenant_id = $1
                  AND greatest(created_at, started_at, finished_at) > now()
                UNION ALL SELECT 'audit' FROM audit_log WHERE tenant_id = $1 AND at > now()""",
        )
        assert future == [], "dated in the future"
