"""Incremental = full: for random histories of a district's records, folding the changes (in
batches of any size, interleaved with the history) leaves exactly the cells a recount of every
record gives; a second fold changes nothing; the nightly recomputation finds no difference. A
cell put wrong by hand is found, raised as an alert and put right."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.rollups import folding
from tests.registry.support import unit_id
from tests.rollups import history

DISTRICT = "440785"

steps = st.lists(
    st.one_of(
        st.tuples(st.just("file"), st.integers(0, 1), st.integers(0, 2), st.integers(0, 24 * 70)),
        st.tuples(st.just("decide"), st.integers(0, 9), st.booleans(), st.integers(0, 24 * 80),
                  st.integers(1, 5_000_000)),
        st.tuples(st.just("pay"), st.integers(0, 9), st.booleans(), st.integers(0, 24 * 500)),
        st.tuples(st.just("youth"), st.integers(0, 2), st.integers(0, 90)),
        st.tuples(st.just("correct_payee"), st.integers(0, 9), st.integers(0, 2)),
        st.tuples(st.just("correct_program"), st.integers(0, 9), st.integers(0, 1)),
        st.tuples(st.just("correct_submission"), st.integers(0, 9), st.integers(0, 24 * 90)),
        st.tuples(st.just("bank_file"), st.integers(0, 255), st.integers(0, 24 * 400)),
        st.tuples(st.just("fold"), st.integers(1, 7)),
    ),
    min_size=8,
    max_size=30,
)  # fmt: skip


async def _fold(tenant: Any, limit: int | None = None) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        return await (folding.fold(tenant, limit) if limit else folding.fold_all(tenant))


async def _cells(tenant: Any) -> tuple[dict[Any, int], dict[Any, int]]:
    async with tenant_transaction(TenantContext.district(tenant)):
        stored = await current_transaction().connection.fetch(
            "SELECT month, program_code, metric, value FROM rollup_cells WHERE tenant_id = $1", tenant
        )
        fresh = await folding.counted_afresh(tenant)
    return {(r["month"], r["program_code"], r["metric"]): r["value"] for r in stored}, fresh


@asynccontextmanager
async def _history(admin_url: str, start: datetime = history.START) -> AsyncIterator[history.History]:
    """A new history in the district, written as the owner (the connection closed after)."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        yield await history.begin(conn, await unit_id(DISTRICT), start)
    finally:
        await conn.close()


async def _folded_equals_recounted(tenant: Any) -> dict[Any, int]:
    """Fold what is pending; the stored cells must be the full recount's. Returns them."""
    await _fold(tenant)
    stored, fresh = await _cells(tenant)
    assert stored == fresh
    return stored


async def _play(conn: asyncpg.Connection, tenant: Any, plan: list[tuple[Any, ...]]) -> None:
    h = await history.begin(conn, tenant)
    for step in plan:
        kind, *args = step
        if kind == "fold":
            await _fold(tenant, args[0])
        elif kind == "youth":
            await history.register_youth(h, *args)
        else:
            await getattr(history, kind)(h, *args)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
async def test_folding_any_history_gives_the_full_recount(db: None, admin_url: str, plan: list[Any]) -> None:
    tenant = await unit_id(DISTRICT)
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        await _play(conn, tenant, plan)
    finally:
        await conn.close()
    await _fold(tenant)
    stored, fresh = await _cells(tenant)
    assert stored == fresh
    assert await _fold(tenant) == 0  # nothing left, and folding again changes nothing
    assert (await _cells(tenant))[0] == stored


async def test_a_payment_dated_earlier_moves_the_first_served_month(db: None, admin_url: str) -> None:
    """One person paid twice under a program: the second payment, booked later but dated in an
    earlier month, makes that month their first — and the old first month must lose them."""
    async with _history(admin_url) as h:
        for _ in range(2):
            await history.file(h, 1, 0, 1)
            await history.decide(h, 0, True, 2, 50_000)
        await history.pay(h, 0, True, 24 * 45)  # December
        await _fold(h.tenant)
        await history.pay(h, 0, True, 24 * 10)  # November
    await _folded_equals_recounted(h.tenant)


async def test_a_payment_late_in_the_month_is_counted_in_its_month(db: None, admin_url: str) -> None:
    """Paid at 23:30 on 28 November in Shanghai (15:30 UTC): November's, through the end of the
    month's range of instants, folded as a touched cell and recounted in full alike."""
    async with _history(admin_url) as h:
        await history.file(h, 0, 2, 1)
        await history.decide(h, 0, True, 2, 70_000)
        await history.pay(h, 0, True, 24 * 28)
    stored = await _folded_equals_recounted(h.tenant)
    assert stored[(date(2025, 11, 1), "startup_once", "paid_fen")] >= 70_000


async def test_a_corrected_payee_moves_the_payments_first_served_month(db: None, admin_url: str) -> None:
    """Person 1 paid in November, person 0 in December; an operator corrects December's award to
    person 1, who was already served in November: December loses its person, though the award was
    filed and decided in November (only its payment's month says so)."""
    async with _history(admin_url, start=datetime(2025, 10, 31, 16, 0, tzinfo=UTC)) as h:
        await history.file(h, 1, 1, 1)
        await history.decide(h, 0, True, 2, 40_000)
        await history.pay(h, 0, True, 24 * 10)  # November
        await history.file(h, 1, 0, 3)
        await history.decide(h, 0, True, 4, 60_000)
        await history.pay(h, 0, True, 24 * 45)  # December
        await _fold(h.tenant)
        await history.correct_payee(h, 1, 1)  # the second paid award: December's
    await _folded_equals_recounted(h.tenant)


async def _net_changes(h: history.History) -> dict[tuple[Any, ...], int]:
    """The pending change rows summed per cell (and payee): what the fold will add."""
    return {
        (r["month"], r["program_code"], r["metric"], *([r["payee_id"]] if r["payee_id"] else [])): r["delta"]
        for r in await h.conn.fetch(
            """SELECT month, program_code, metric, payee_id, sum(delta) AS delta FROM rollup_changes
               WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4 HAVING sum(delta) <> 0""",
            h.tenant,
        )
    }


async def test_filings_decisions_and_payments_are_folded_as_deltas_without_reading_the_month(
    db: None, admin_url: str
) -> None:
    """Filing, deciding and paying write what they changed in the counts (the old version's share
    taken away, the new one's added), not a mark to recount the month: a fold of this month's
    submissions or of a bank file costs what they are, not what the month already holds. A paid
    line's share in "people served" is its payee's paid line in the month."""
    async with _history(admin_url) as h:
        await _fold(h.tenant)
        for person in range(3):
            await history.file(h, 0, person, 1 + person)
        await history.decide(h, 0, True, 30, 80_000)
        await history.decide(h, 0, False, 31, 0)
        assert not await h.conn.fetchval(
            "SELECT count(*) FROM rollup_changes WHERE tenant_id = $1 AND metric IS NULL", h.tenant
        )  # deltas only
        nov = date(2025, 11, 1)
        assert await _net_changes(h) == {
            (nov, "startup_once", "applications"): 3,  # filed on 1 November in Shanghai
            (nov, "startup_once", "applications:submitted"): 1,
            (nov, "startup_once", "applications:in_notice"): 1,
            (nov, "startup_once", "applications:rejected"): 1,
            (nov, "startup_once", "approved"): 1,
            (nov, "startup_once", "approved_fen"): 80_000,
        }
        await _folded_equals_recounted(h.tenant)
        await history.pay(h, 0, True, 24 * 9)  # 23:30 on 9 November; submitted 00:30 on 1 November
        assert await _net_changes(h) == {
            (nov, "startup_once", "applications:in_notice"): -1,
            (nov, "startup_once", "applications:paid"): 1,
            (nov, "startup_once", "paid"): 1,
            (nov, "startup_once", "paid_fen"): 80_000,
            (nov, "startup_once", "pay_days:8"): 1,
            (nov, "startup_once", "people_served", h.persons[0]): 1,  # a paid line of person 0's
        }
    stored = await _folded_equals_recounted(h.tenant)
    assert stored[(nov, "startup_once", "people_served")] >= 1


async def test_the_recount_finds_a_wrong_cell_raises_an_alert_and_puts_it_right(
    db: None, admin_url: str
) -> None:
    async with _history(admin_url) as h:
        tenant = h.tenant
        await history.file(h, 0, 0, 5)
        await history.file(h, 0, 1, -10)  # filed on 31 October in Shanghai: October's cell exists
        await history.decide(h, 0, True, 30, 1_000_000)
        await history.pay(h, 0, True, 24 * 9)
        await _fold(tenant)
        # a bug (or a hand) changes a stored cell, and another disappears
        await h.conn.execute(
            """UPDATE rollup_cells SET value = value + 1 WHERE tenant_id = $1 AND metric = 'paid_fen'
               AND month = '2025-11-01' AND program_code = 'startup_once'""",
            tenant,
        )
        await h.conn.execute(
            """DELETE FROM rollup_cells WHERE tenant_id = $1 AND metric = 'applications'
               AND month = '2025-10-01' AND program_code = 'startup_once'""",
            tenant,
        )
        # and the paid person's month in the payees' table, which "people served" is folded from
        await h.conn.execute(
            "DELETE FROM rollup_payee_months WHERE tenant_id = $1 AND payee_id = $2", tenant, h.persons[0]
        )
    async with tenant_transaction(TenantContext.district(tenant)):
        found = await folding.recompute(tenant, date(2025, 11, 30))
        alerts = await current_transaction().connection.fetch(
            "SELECT subject, details FROM alerts WHERE tenant_id = $1 AND kind = 'rollups.mismatch'"
            " AND raised_on = '2025-11-30'",
            tenant,
        )
    assert found["differences"] == 2
    assert {a["subject"] for a in alerts} == {"2025-11 startup_once", "2025-10 startup_once"}
    november = next(json.loads(a["details"]) for a in alerts if a["subject"] == "2025-11 startup_once")
    assert november["payee_months"] == 1 and "paid_fen" in november["metrics"]
    stored, fresh = await _cells(tenant)
    assert stored == fresh
    async with tenant_transaction(TenantContext.district(tenant)):
        assert (await folding.recompute(tenant, date(2025, 11, 30)))["differences"] == 0


async def test_a_corrected_program_or_submission_moves_the_awards_payments(db: None, admin_url: str) -> None:
    """An operator corrects a paid award's program, then its submission time: its decision, its
    payment (count, fen, days to pay) and its payee's first payment move to the other program's
    cells, and the days to pay to the corrected submission."""
    async with _history(admin_url, start=datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) as h:
        await history.file(h, 0, 2, 1)
        await history.decide(h, 0, True, 2, 30_000)
        await history.pay(h, 0, True, 24 * 10)
        await _fold(h.tenant)
        await history.correct_program(h, 0, 1)
        stored = await _folded_equals_recounted(h.tenant)
        jan = date(2026, 1, 1)
        assert stored[(jan, "skills_cert", "paid_fen")] >= 30_000
        assert stored[(jan, "skills_cert", "people_served")] >= 1
        await history.correct_submission(h, 0, -24 * 3)
    await _folded_equals_recounted(h.tenant)


async def _paid(conn: asyncpg.Connection, h: history.History, line: Any) -> None:
    await conn.execute(
        "UPDATE payment_lines SET state = 'paid', resolved_at = $3 WHERE tenant_id = $1 AND id = $2",
        h.tenant, line, h.start + timedelta(days=5),
    )  # fmt: skip


async def _corrected(conn: asyncpg.Connection, h: history.History, award: Any) -> None:
    await conn.execute(
        "UPDATE applications SET program_code = 'skills_cert' WHERE tenant_id = $1 AND id = $2",
        h.tenant,
        award,
    )


async def _still_waiting(statement: asyncio.Task[None]) -> bool:
    await asyncio.sleep(0.3)
    return not statement.done()


async def test_a_payment_racing_a_correction_of_its_award_is_counted_once_under_the_right_program(
    db: None, admin_url: str
) -> None:
    """The bank's answer for a line and an operator's correction of its award's program, in two
    transactions at once, in both orders. The line's trigger holds the award: a correction made
    while the payment is uncommitted waits for it and then moves the payment; a payment made while
    the correction is uncommitted waits for it and is counted under the corrected program."""
    other = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        async with _history(admin_url, start=datetime(2026, 2, 28, 16, 0, tzinfo=UTC)) as h:
            for person in range(2):
                await history.file(h, 0, person, 1)
                await history.decide(h, 0, True, 2, 20_000)
            first = (h.apps[0][0], await history.sent_to_bank(h, 0))
            second = (h.apps[1][0], await history.sent_to_bank(h, 0))
            # the payment first: the correction waits for it
            async with h.conn.transaction():
                await _paid(h.conn, h, first[1])
                correction = asyncio.create_task(_corrected(other, h, first[0]))
                assert await _still_waiting(correction)
            await correction
            # the correction first: the payment waits for it
            async with other.transaction():
                await _corrected(other, h, second[0])
                payment = asyncio.create_task(_paid(h.conn, h, second[1]))
                assert await _still_waiting(payment)
            await payment
        stored = await _folded_equals_recounted(h.tenant)
        assert stored[(date(2026, 3, 1), "skills_cert", "paid")] >= 2
    finally:
        await other.close()


async def test_a_payment_committed_during_the_recount_is_left_to_its_fold(
    db: None, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Person 2, served in December, is paid again with a line dated in November, committed after
    the recount's fold and before its count. The fold to come moves them from December to
    November; the recount must leave December alone too (not "correct" it, and then have the
    fold take them away a second time)."""
    async with _history(admin_url, start=datetime(2025, 10, 31, 16, 0, tzinfo=UTC)) as h:
        for _ in range(2):
            await history.file(h, 1, 2, 1)
            await history.decide(h, 0, True, 2, 10_000)
        await history.pay(h, 0, True, 24 * 45)  # December
        await _fold(h.tenant)
        fold_all = folding.fold_all

        async def fold_then_pay(tenant: Any) -> int:
            folded = await fold_all(tenant)
            await history.pay(h, 0, True, 24 * 10)  # November, committed on its own connection
            return folded

        monkeypatch.setattr(folding, "fold_all", fold_then_pay)
        async with tenant_transaction(TenantContext.district(h.tenant)):
            found = await folding.recompute(h.tenant, date(2025, 12, 31))
        monkeypatch.undo()
    assert found["differences"] == 0
    await _folded_equals_recounted(h.tenant)
