"""Running jobs in-process with the real runner: claim, progress, retries, at-most-one runner."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner, service
from renshe.jobs.testing import EFFECT_ACTION
from tests.jobs.support import key, load_job, unit_id

pytestmark = pytest.mark.usefixtures("db")


async def _enqueue(code: str, kind: str = "testing.sleep", **args: object) -> tuple[UUID, UUID]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue(kind, tenant, dict(args), key())
    return tenant, job.id


async def _effects(tenant: UUID, job_id: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        return await current_transaction().connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2 AND object_id = $3",
            tenant, EFFECT_ACTION, str(job_id),
        )  # fmt: skip


async def test_a_job_runs_once_and_a_second_message_changes_nothing() -> None:
    tenant, job_id = await _enqueue("440781", steps=3)
    assert await runner.run(tenant, job_id, worker="w1") == "succeeded"
    job = await load_job(tenant, job_id)
    assert job.status == "succeeded"
    assert job.attempts == 1
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert job.result is not None and job.result["resumed"] is False
    assert job.finished_at is not None
    # a duplicate message (dispatcher re-send, Redis redelivery) finds nothing to claim
    assert await runner.run(tenant, job_id, worker="w2") is None
    job = await load_job(tenant, job_id)
    assert job.attempts == 1 and job.worker == "w1"
    assert await _effects(tenant, job_id) == 1


async def test_progress_is_visible_while_the_job_runs() -> None:
    tenant, job_id = await _enqueue("440781", steps=4, step_seconds=0.3)
    task = asyncio.create_task(runner.run(tenant, job_id, worker="w1"))
    seen: set[int] = set()
    while not task.done():
        job = await load_job(tenant, job_id)
        if job.status == "running":
            seen.add(job.progress_done)
        await asyncio.sleep(0.1)
    assert await task == "succeeded"
    # progress written in its own transactions shows up before the job's transaction commits
    assert seen & {1, 2, 3}
    # the effect is committed with the success mark, never before
    assert await _effects(tenant, job_id) == 1


async def test_a_failed_attempt_goes_back_to_the_queue_then_succeeds() -> None:
    tenant, job_id = await _enqueue("440783", fail_attempts=1)
    with pytest.raises(runner.JobRetry):
        await runner.run(tenant, job_id, worker="w1")
    job = await load_job(tenant, job_id)
    assert job.status == "queued"
    assert job.attempts == 1
    assert job.last_error is not None and "fails on purpose" in job.last_error
    assert await _effects(tenant, job_id) == 0
    assert await runner.run(tenant, job_id, worker="w2") == "succeeded"
    job = await load_job(tenant, job_id)
    assert (job.status, job.attempts, job.last_error) == ("succeeded", 2, None)
    assert await _effects(tenant, job_id) == 1


async def test_a_job_fails_for_good_after_its_last_attempt() -> None:
    tenant, job_id = await _enqueue("440783", fail_attempts=99)
    for _ in range(2):
        with pytest.raises(runner.JobRetry):
            await runner.run(tenant, job_id)
    assert await runner.run(tenant, job_id) == "failed"
    job = await load_job(tenant, job_id)
    assert (job.status, job.attempts) == ("failed", 3)
    assert job.finished_at is not None
    assert await runner.run(tenant, job_id) is None  # nothing left to claim


async def test_a_running_job_with_a_live_heartbeat_is_not_taken_over() -> None:
    tenant, job_id = await _enqueue("440784", steps=1)
    async with tenant_transaction(TenantContext.district(tenant)):
        await current_transaction().connection.execute(
            "UPDATE jobs SET status = 'running', attempts = 1, worker = 'elsewhere',"
            " started_at = now(), heartbeat_at = now() WHERE tenant_id = $1 AND id = $2",
            tenant, job_id,
        )  # fmt: skip
    assert await runner.run(tenant, job_id, worker="me") is None
    assert (await load_job(tenant, job_id)).worker == "elsewhere"

    # the other worker stops beating: once stale, the job is taken over and finished once
    async with tenant_transaction(TenantContext.district(tenant)):
        await current_transaction().connection.execute(
            "UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE tenant_id = $1 AND id = $2",
            tenant, job_id,
        )  # fmt: skip
    assert await runner.run(tenant, job_id, worker="me") == "succeeded"
    job = await load_job(tenant, job_id)
    assert (job.status, job.attempts, job.worker) == ("succeeded", 2, "me")
    assert await _effects(tenant, job_id) == 1


async def test_a_worker_that_lost_its_claim_commits_nothing() -> None:
    """Split brain: a slow worker presumed dead comes back after another took the job over."""
    tenant, job_id = await _enqueue("440784", steps=6, step_seconds=0.2)
    slow = asyncio.create_task(runner.run(tenant, job_id, worker="slow"))
    deadline = time.monotonic() + 30
    while (await load_job(tenant, job_id)).progress_done < 1:
        assert time.monotonic() < deadline, "the slow worker made no progress"
        assert not slow.done(), slow
        await asyncio.sleep(0.05)
    # the dispatcher-and-claim path of another worker, compressed: it takes the job over
    async with tenant_transaction(TenantContext.district(tenant)):
        await current_transaction().connection.execute(
            "UPDATE jobs SET attempts = attempts + 1, worker = 'fast', heartbeat_at = now()"
            " WHERE tenant_id = $1 AND id = $2",
            tenant, job_id,
        )  # fmt: skip
    assert await slow is None  # its next progress write notices and it backs off
    job = await load_job(tenant, job_id)
    assert (job.status, job.worker) == ("running", "fast")
    assert await _effects(tenant, job_id) == 0


async def test_a_worker_killed_with_its_last_attempt_used_leaves_the_job_failed() -> None:
    tenant, job_id = await _enqueue("440785", steps=1)
    async with tenant_transaction(TenantContext.district(tenant)):
        await current_transaction().connection.execute(
            "UPDATE jobs SET status = 'running', attempts = max_attempts, worker = 'dead',"
            " started_at = now() - interval '1 hour', heartbeat_at = now() - interval '1 hour'"
            " WHERE tenant_id = $1 AND id = $2",
            tenant, job_id,
        )  # fmt: skip
    assert await runner.run(tenant, job_id) is None
    job = await load_job(tenant, job_id)
    assert job.status == "failed"
    assert job.last_error and "stopped responding" in job.last_error


async def test_cancelled_job_is_not_run() -> None:
    tenant, job_id = await _enqueue("440785", steps=1)
    async with tenant_transaction(TenantContext.district(tenant)):
        cancelled = await service.cancel(tenant, job_id)
    assert cancelled.status == "cancelled"
    assert await runner.run(tenant, job_id) is None
    assert (await load_job(tenant, job_id)).attempts == 0
    assert await _effects(tenant, job_id) == 0
