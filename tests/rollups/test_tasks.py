"""The fold as a job: the scheduler's sweep asks once per district with new changes (keyed by the
newest change), the job folds them; a fold that dies half-way leaves every change for the next
and nothing counted twice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner
from renshe.jobs.runner import JobRetry
from renshe.rollups import folding, tasks
from tests.registry.support import unit_id
from tests.rollups import history

DISTRICT = "440705"
START = datetime(2018, 6, 30, 15, 30, tzinfo=UTC)  # a year no other test writes
JULY = date(2018, 7, 1)  # an hour after START, in Shanghai


async def _fold_jobs(tenant: UUID) -> list[dict[str, Any]]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            "SELECT id, idempotency_key, status FROM jobs WHERE tenant_id = $1 AND kind = 'rollups.fold'"
            " ORDER BY created_at",
            tenant,
        )
    return [dict(r) for r in rows]


async def _state(tenant: UUID) -> tuple[int, dict[Any, int]]:
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        pending = await conn.fetchval("SELECT count(*) FROM rollup_changes WHERE tenant_id = $1", tenant)
        cells = await conn.fetch(
            """SELECT month, program_code, metric, value FROM rollup_cells
               WHERE tenant_id = $1 AND month < '2019-01-01'""",
            tenant,
        )
    return pending, {(r["month"], r["program_code"], r["metric"]): r["value"] for r in cells}


async def _change(admin_url: str, tenant: UUID, hours: int) -> None:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        h = await history.begin(conn, tenant, START)
        await history.file(h, 0, 0, hours)
        await history.decide(h, 0, True, hours + 5, 20_000)
    finally:
        await conn.close()


async def test_the_sweep_asks_once_and_the_job_folds(db: None, admin_url: str) -> None:
    tenant = await unit_id(DISTRICT)
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)
    await _change(admin_url, tenant, 1)
    before = {j["id"] for j in await _fold_jobs(tenant)}
    await tasks.enqueue_due_folds()
    await tasks.enqueue_due_folds()  # a second replica, or the next sweep: nothing new to ask
    new = [j for j in await _fold_jobs(tenant) if j["id"] not in before]
    assert len(new) == 1 and new[0]["status"] == "queued"
    assert await runner.run(tenant, new[0]["id"], worker="w1") == "succeeded"
    pending, cells = await _state(tenant)
    assert pending == 0
    assert cells[(JULY, "startup_once", "applications")] >= 1


async def test_a_fold_that_dies_half_way_counts_nothing_twice(
    db: None, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await unit_id(DISTRICT)
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)
    _, folded = await _state(tenant)
    await _change(admin_url, tenant, 2)
    pending, cells = await _state(tenant)
    assert pending > 0 and cells == folded

    async def dies(*_: Any, **__: Any) -> None:  # after the cells were rewritten, before the commit
        raise RuntimeError("worker killed")

    monkeypatch.setattr(folding, "_mark_folded", dies)
    await tasks.enqueue_due_folds()
    job = (await _fold_jobs(tenant))[-1]
    with pytest.raises(JobRetry):
        await runner.run(tenant, job["id"], worker="w1")
    assert await _state(tenant) == (pending, cells)  # rolled back: the changes wait, the cells as they were
    monkeypatch.undo()
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)
        fresh = await folding.counted_afresh(tenant)
    pending, cells = await _state(tenant)
    assert pending == 0
    # 2018 is this file's year (another test may plant a cell elsewhere in the district: the
    # isolation attacks write one of every table, and only the nightly recount mends those)
    assert {k: v for k, v in cells.items() if k[0].year == 2018} == {
        k: v for k, v in fresh.items() if k[0].year == 2018
    }
    month = JULY
    assert (
        cells[(month, "startup_once", "approved_fen")]
        == folded.get((month, "startup_once", "approved_fen"), 0) + 20_000
    )
