"""A real ``renshe worker`` exporting an approved batch of thousands of lines, SIGKILLed at random
moments of the export job several times over, then left to finish: the batch is exported once,
its recorded SHA-256 is that of a fresh in-request regeneration, its lines add up to its
envelope, and the audit log holds exactly one export.

Each kill is made certain to land before the job could commit: the test holds the job's row lock
while it kills, and every write the runner makes to its job — progress, heartbeat, the final
``succeeded`` in the export's own transaction — needs that row."""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from datetime import date
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle
from renshe.disbursement.bankfiles import export as render_file
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.export_job import export_key
from renshe.disbursement.service import get_batch
from renshe.jobs import dispatcher
from renshe.jobs.service import Job
from tests.disbursement.awards import district, make_ready, make_user
from tests.fault.workers import STALE_SECONDS, Worker, start_worker, wait_for
from tests.jobs.support import load_job

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]
JIANGHAI = "440704"  # XLSX: the slowest layout to render
AWARDS = 12_000  # an export long enough that a kill at a random moment lands inside it
AMOUNT = 98_765
KILLS = 3
BUSINESS_DATE = date(2026, 4, 2)


async def _export_job(tenant: UUID, batch_id: UUID) -> Job:
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            "SELECT * FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2", tenant, export_key(batch_id)
        )
    assert row is not None, "approval did not enqueue the export"
    return Job.from_row(row)


async def _render_seconds(tenant: UUID, batch_id: UUID) -> float:
    """How long rendering the batch takes here (read-only), to aim the kills inside the job."""
    started = time.monotonic()
    async with tenant_transaction(TenantContext.district(tenant)):
        batch = await get_batch(tenant, batch_id)
        header, lines = await export.payment_file_of(batch)
        render_file(batch.layout, header, lines)
    return time.monotonic() - started


async def _attempt_started(tenant: UUID, job_id: UUID, attempt: int, timeout: float = 60) -> None:
    """Watch closely for the attempt's claim (the kill is timed from it); sweep now and then so a
    killed worker's job is re-sent once its heartbeat is stale."""
    deadline = time.monotonic() + timeout
    swept = 0.0
    while True:
        now = await load_job(tenant, job_id)
        if now.status == "succeeded" or (now.status == "running" and now.attempts == attempt):
            return
        assert time.monotonic() < deadline, f"attempt {attempt} of the export did not start"
        if time.monotonic() - swept > 1:
            await dispatcher.sweep(stale_seconds=STALE_SECONDS)
            swept = time.monotonic()
        await asyncio.sleep(0.02)


async def _kill_while_running(admin_url: str, worker: Worker, job_id: UUID, delay: float) -> bool:
    """After ``delay`` seconds of the running attempt, lock the job row and SIGKILL the worker.
    False when the job had already succeeded (nothing left to kill)."""
    await asyncio.sleep(delay)
    conn = await asyncpg.connect(admin_url)
    try:
        async with conn.transaction():
            status = await conn.fetchval("SELECT status FROM jobs WHERE id = $1 FOR UPDATE", job_id)
            if status == "succeeded":
                return False
            assert status == "running", status
            worker.kill()  # the job's commit needs this row: it cannot have happened
    finally:
        await conn.close()
    return True


async def test_an_export_killed_again_and_again_exports_exactly_once(
    workers: list[Worker], tmp_path: Path, admin_url: str, rng: random.Random
) -> None:
    tenant = await district(JIANGHAI)
    await make_ready(admin_url, tenant, AWARDS, amount_fen=AMOUNT, ready_on=BUSINESS_DATE)
    built = await build(
        BuildRequest(
            tenant, BUSINESS_DATE, "nightly", f"nightly:{BUSINESS_DATE}:export-kill", max_lines=AWARDS
        )
    )
    assert len(built.batches) == 1
    batch_id = UUID(built.batches[0])
    checker = await make_user(admin_url, tenant)
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        await lifecycle.approve(tenant, checker, batch_id)
    job = await _export_job(tenant, batch_id)
    assert job.status == "queued"
    render = await _render_seconds(tenant, batch_id)

    worker = await start_worker(workers, tmp_path)
    kills = 0
    while kills < KILLS:
        await _attempt_started(tenant, job.id, kills + 1)
        if not await _kill_while_running(admin_url, worker, job.id, rng.uniform(0, render * 0.6)):
            break
        kills += 1
        assert (await load_job(tenant, job.id)).status == "running"
        async with tenant_transaction(TenantContext.district(tenant)):  # nothing of it left behind
            half = await get_batch(tenant, batch_id)
        assert (half.state, half.file_sha256) == ("approved", None)
        worker = await start_worker(workers, tmp_path)

    assert kills >= 2, "the export finished before it could be killed: make the batch bigger"

    async def finished() -> bool:
        await dispatcher.sweep(stale_seconds=STALE_SECONDS)
        return (await load_job(tenant, job.id)).status in ("succeeded", "failed")

    await wait_for(finished, 60, "the export to finish")
    done = await load_job(tenant, job.id)
    assert done.status == "succeeded", worker.log[-4000:]
    assert done.attempts == kills + 1
    assert done.result is not None and done.result["outcome"] == "exported"

    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        batch = await get_batch(tenant, batch_id)
        conn = current_transaction().connection
        count, total = await conn.fetchrow(
            "SELECT count(*), sum(amount_fen) FROM payment_lines"
            " WHERE tenant_id = $1 AND batch_id = $2 AND state <> 'cancelled'",
            tenant, batch_id,
        )  # fmt: skip
        exports = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND object_id = $2"
            " AND action = 'disbursement.batch_exported'",
            tenant, str(batch_id),
        )  # fmt: skip
    assert batch.state == "exported"
    assert (batch.declared_count, batch.declared_total_fen) == (count, total)
    assert count >= AWARDS and total >= AWARDS * AMOUNT
    assert exports == 1

    # a fresh regeneration in the request gives the very file whose SHA-256 the job recorded
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        fresh = await export.export_batch(tenant, checker, batch_id)
    assert batch.file_sha256 == fresh.sha256 == hashlib.sha256(fresh.content).hexdigest()
    assert done.result["sha256"] == fresh.sha256
