"""Fault tests with real worker processes: a job lost before Redis, Redis losing its queue, and a
worker SIGKILLed mid-job. Each ends checking that the job finished exactly once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import dispatcher, queue, service
from renshe.jobs.testing import EFFECT_ACTION
from tests.fault.workers import STALE_SECONDS, Worker, wait_for
from tests.jobs.support import forget_queue, key, load_job, messages_for, unit_id

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()


def _new_worker(workers: list[Worker], tmp_path: Path) -> Worker:
    w = Worker(tmp_path / f"worker-{len(workers)}.log").start()
    workers.append(w)
    return w


async def _enqueue(code: str, **args: object) -> tuple[UUID, UUID]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue("testing.sleep", tenant, dict(args), key())
    return tenant, job.id


async def _effects(tenant: UUID, job_id: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        return await current_transaction().connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = $2 AND object_id = $3",
            tenant, EFFECT_ACTION, str(job_id),
        )  # fmt: skip


async def _status(tenant: UUID, job_id: UUID) -> str:
    return (await load_job(tenant, job_id)).status


async def _worker_has_drained_its_queue(code: str) -> None:
    """Instead of waiting a fixed time to show a job is *not* picked up: a job sent the normal
    way after it has run, so the worker was up and had read its queue."""
    tenant, sentinel = await _enqueue(code, steps=1, step_seconds=0)

    async def done() -> bool:
        return await _status(tenant, sentinel) == "succeeded"

    await wait_for(done, 30, "the worker to run a job sent after the lost one")


async def _sweep_until_done(tenant: UUID, job_id: UUID, stale: int, timeout: float) -> None:
    async def finished() -> bool:
        await dispatcher.sweep(stale_seconds=stale)
        return await _status(tenant, job_id) in ("succeeded", "failed")

    await wait_for(finished, timeout, "the job to finish")


async def test_a_job_lost_before_redis_is_sent_by_the_sweep_and_runs_once(
    workers: list[Worker], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process "crashes" between commit and send: the row is durable, Redis never hears of it.
    with monkeypatch.context() as m:
        m.setattr(queue, "send_now", lambda *a: (_ for _ in ()).throw(ConnectionError("crash")))
        tenant, job_id = await _enqueue("440703", steps=2, step_seconds=0.1)
    assert await messages_for(job_id) == []

    worker = _new_worker(workers, tmp_path)
    await worker.ready()
    await _worker_has_drained_its_queue("440703")
    assert await _status(tenant, job_id) == "queued"  # a worker alone cannot find it

    await _sweep_until_done(tenant, job_id, stale=1, timeout=30)
    job = await load_job(tenant, job_id)
    assert (job.status, job.attempts) == ("succeeded", 1), worker.log
    assert await _effects(tenant, job_id) == 1
    # SIGTERM to the whole process group (what `renshe demo` and systemd send) stops it cleanly
    assert worker.stop() == 0, worker.log


async def test_a_redis_that_lost_its_queue_is_refilled_by_the_sweep(
    workers: list[Worker], tmp_path: Path
) -> None:
    tenant, job_id = await _enqueue("440704", steps=2, step_seconds=0.1)
    assert len(await messages_for(job_id)) == 1
    await forget_queue()  # Redis restarted without persistence: every queued message is gone
    assert await messages_for(job_id) == []

    worker = _new_worker(workers, tmp_path)
    await worker.ready()
    await _worker_has_drained_its_queue("440704")
    assert await _status(tenant, job_id) == "queued"

    await _sweep_until_done(tenant, job_id, stale=1, timeout=30)
    job = await load_job(tenant, job_id)
    assert (job.status, job.attempts) == ("succeeded", 1), worker.log
    assert await _effects(tenant, job_id) == 1


async def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes_once(
    workers: list[Worker], tmp_path: Path
) -> None:
    tenant, job_id = await _enqueue("440705", steps=10, step_seconds=0.5)
    first = _new_worker(workers, tmp_path)
    await first.ready()

    async def well_under_way() -> bool:
        job = await load_job(tenant, job_id)
        return job.status == "running" and job.progress_done >= 2

    await wait_for(well_under_way, 30, "the first worker to make progress")
    first.kill()
    killed_at = await load_job(tenant, job_id)
    assert (killed_at.status, killed_at.attempts) == ("running", 1)
    assert await _effects(tenant, job_id) == 0  # its transaction died with it

    # While the dead worker's heartbeat is fresh the sweep leaves the job alone (judged against
    # a limit no slow machine reaches: against STALE_SECONDS itself, "fresh" depended on how
    # long the next worker took to start) ...
    assert job_id not in {r.job_id for r in await dispatcher.sweep(stale_seconds=600)}
    second = _new_worker(workers, tmp_path)
    await second.ready()
    # ... once stale, it re-sends it and the second worker takes over.
    await _sweep_until_done(tenant, job_id, stale=STALE_SECONDS, timeout=60)

    job = await load_job(tenant, job_id)
    assert (job.status, job.attempts) == ("succeeded", 2), second.log
    assert job.worker != killed_at.worker
    assert job.result is not None and job.result["attempt"] == 2
    assert (job.progress_done, job.progress_total) == (10, 10)
    assert await _effects(tenant, job_id) == 1
