"""Running one job: claim the row, heartbeat, call the handler in a tenant transaction, finish.

At most one runner holds a job at a time, and the database decides who: a worker *claims* the
row (queued → running, ``attempts + 1``) and owns it as long as ``(worker, attempts)`` still
match. A second message for the same job finds it running on a live worker (fresh heartbeat) or
already finished, and returns silently. A worker that dies stops beating; after
``job_stale_seconds`` the dispatcher re-sends and the next claim takes the job over. The
handler's work and the ``succeeded`` mark commit in one transaction, conditional on the claim
still being ours, so the effect of a job happens exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import structlog

from renshe import clock
from renshe.db.engine import get_engine
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import DomainError
from renshe.jobs import kinds
from renshe.settings import get_settings

log = structlog.get_logger(__name__)
T = TypeVar("T")
MAX_ERROR_LENGTH = 2000


class LostClaim(Exception):
    """Another worker took the job over (this one was considered dead): stop, change nothing."""


class JobRetry(Exception):
    """The attempt failed and the job went back to the queue; Dramatiq retries with backoff."""


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def detached(work: Callable[[], Awaitable[T]]) -> T:
    """Run ``work`` outside the current transaction (its own short one), e.g. progress writes
    while the handler's transaction is still open."""
    ctx = contextvars.copy_context()
    ctx.run(get_engine().current_transaction.set, None)
    return await asyncio.create_task(_call(work), context=ctx)


async def _call(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


@dataclass(slots=True)
class JobRun:
    """What a handler gets: the job's identity and arguments, and a way to report progress."""

    tenant_id: UUID
    job_id: UUID
    kind: str
    args: dict[str, Any]
    attempt: int
    business_date: date | None
    unit_kind: str
    worker: str
    lost: bool = field(default=False)

    def business_day(self) -> date:
        """The business date the job works for: its ``business_date`` argument (a run by hand),
        the nightly fan-out's date, or today."""
        raw = self.args.get("business_date")
        return date.fromisoformat(raw) if raw else (self.business_date or clock.today())

    async def progress(self, done: int, total: int | None = None) -> None:
        """Record progress in a short separate transaction (visible at once on the job page)."""
        updated = await detached(lambda: self._write("progress", done, total))
        if not updated:
            self.lost = True
            raise LostClaim(str(self.job_id))

    async def beat(self) -> bool:
        return await detached(lambda: self._write("beat", None, None))

    async def _write(self, what: str, done: int | None, total: int | None) -> bool:
        async with tenant_transaction(TenantContext.district(self.tenant_id)):
            conn = current_transaction().connection
            if what == "progress":
                status = await conn.execute(
                    """UPDATE jobs SET progress_done = $5, progress_total = coalesce($6, progress_total),
                              heartbeat_at = now()
                       WHERE tenant_id = $1 AND id = $2 AND status = 'running'
                         AND worker = $3 AND attempts = $4""",
                    self.tenant_id, self.job_id, self.worker, self.attempt, max(done or 0, 0), total,
                )  # fmt: skip
            else:
                status = await conn.execute(
                    """UPDATE jobs SET heartbeat_at = now()
                       WHERE tenant_id = $1 AND id = $2 AND status = 'running'
                         AND worker = $3 AND attempts = $4""",
                    self.tenant_id, self.job_id, self.worker, self.attempt,
                )  # fmt: skip
        return status.endswith(" 1")


def heartbeat_interval(stale_seconds: int) -> float:
    """Beat several times per stale period so one slow beat does not look like death."""
    return float(min(max(stale_seconds / 4, 1.0), 30.0))


async def _heartbeat(run: JobRun, interval: float, owner: asyncio.Task[Any]) -> None:
    while True:
        await asyncio.sleep(interval)
        try:
            alive = await run.beat()
        except Exception:  # a missed beat is not death; the next one may get through
            log.warning("job.heartbeat_failed", exc_info=True)
            continue
        if not alive:
            log.warning("job.claim_lost")
            run.lost = True
            owner.cancel()
            return


async def _stop(task: asyncio.Task[Any] | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _claim(
    tenant_id: UUID, job_id: UUID, worker: str, stale_seconds: int
) -> tuple[dict[str, Any], TenantContext] | None:
    """Take the job (queued, or running on a worker that stopped beating). ``None``: not ours."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        conn = current_transaction().connection
        row = await conn.fetchrow(
            """UPDATE jobs SET status = 'running', attempts = attempts + 1,
                      started_at = coalesce($5, now()), heartbeat_at = now(), worker = $3,
                      finished_at = NULL
               WHERE tenant_id = $1 AND id = $2 AND attempts < max_attempts
                 AND (status = 'queued'
                      OR (status = 'running'
                          AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $4)))
               RETURNING kind, args, attempts, business_date""",
            tenant_id, job_id, worker, stale_seconds,
            clock.record_time(),  # the demo's instant; the heartbeat (which the lease reads) stays real
        )  # fmt: skip
        if row is None:
            # A dead worker's job that has used up its attempts ends here instead of looping.
            await conn.execute(
                """UPDATE jobs SET status = 'failed', finished_at = now(),
                          last_error = 'The worker running this job stopped responding.'
                   WHERE tenant_id = $1 AND id = $2 AND status = 'running'
                     AND attempts >= max_attempts
                     AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => $3)""",
                tenant_id, job_id, stale_seconds,
            )  # fmt: skip
            return None
        unit = await conn.fetchrow("SELECT kind FROM org_units WHERE id = $1", tenant_id)
        unit_kind = unit["kind"] if unit else "district"
        ctx = TenantContext.district(tenant_id)
        if unit_kind != "district":
            from renshe.tenancy.service import subtree_ids

            ctx = TenantContext.subtree(await subtree_ids(tenant_id), tenant_id)
    data = dict(row)
    data["unit_kind"] = unit_kind
    if isinstance(data["args"], str):
        data["args"] = json.loads(data["args"])
    return data, ctx


async def _succeed(run: JobRun, result: dict[str, Any] | None) -> None:
    """Mark success in the handler's own transaction, only if the claim is still ours."""
    status = await current_transaction().connection.execute(
        """UPDATE jobs SET status = 'succeeded', result = $5::jsonb, finished_at = coalesce($6, now()),
                  heartbeat_at = now(), last_error = NULL,
                  progress_done = greatest(progress_done, coalesce(progress_total, 0))
           WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND worker = $3 AND attempts = $4""",
        run.tenant_id, run.job_id, run.worker, run.attempt,
        None if result is None else json.dumps(result, ensure_ascii=False, default=str),
        clock.record_time(),
    )  # fmt: skip
    if not status.endswith(" 1"):
        raise LostClaim(str(run.job_id))


def describe_error(exc: BaseException) -> str:
    """What the job page shows. Database errors are named by code only: their text may quote
    values (a personal number in a unique-violation message must not reach the page)."""
    if isinstance(exc, DomainError):
        text = exc.message
    elif isinstance(exc, asyncpg.PostgresError):
        text = f"{type(exc).__name__} (SQLSTATE {exc.sqlstate})"
    elif isinstance(exc, asyncio.CancelledError):
        text = "Interrupted (time limit or worker shutdown)."
    else:
        text = f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR_LENGTH]


async def _fail(run: JobRun, error: str) -> str | None:
    """Record a failed attempt: back to the queue, or failed for good after the last attempt."""

    async def write() -> str | None:
        async with tenant_transaction(TenantContext.district(run.tenant_id)):
            return await current_transaction().connection.fetchval(
                """UPDATE jobs SET
                          status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
                          finished_at = CASE WHEN attempts >= max_attempts THEN now() END,
                          last_error = $5, enqueued_at = now()
                   WHERE tenant_id = $1 AND id = $2 AND status = 'running'
                     AND worker = $3 AND attempts = $4
                   RETURNING status""",
                run.tenant_id, run.job_id, run.worker, run.attempt, error,
            )  # fmt: skip

    return await detached(write)


async def run(tenant_id: UUID, job_id: UUID, *, worker: str | None = None) -> str | None:
    """Run one job if this worker can claim it. Returns the status it left, ``None`` if the job
    was not ours to run. Raises :class:`JobRetry` when a failed attempt went back to the queue."""
    settings = get_settings()
    worker = worker or worker_name()
    with structlog.contextvars.bound_contextvars(job_id=str(job_id), tenant=str(tenant_id)):
        claimed = await _claim(tenant_id, job_id, worker, settings.job_stale_seconds)
        if claimed is None:
            log.info("job.not_claimed")
            return None
        data, ctx = claimed
        job = JobRun(
            tenant_id=tenant_id, job_id=job_id, kind=data["kind"], args=data["args"],
            attempt=data["attempts"], business_date=data["business_date"],
            unit_kind=data["unit_kind"], worker=worker,
        )  # fmt: skip
        with structlog.contextvars.bound_contextvars(kind=job.kind, attempt=job.attempt):
            return await _execute(job, ctx, heartbeat_interval(settings.job_stale_seconds))


async def _execute(job: JobRun, ctx: TenantContext, interval: float) -> str | None:
    spec = kinds.get(job.kind)
    if spec is None:
        log.error("job.unknown_kind")
        return await _fail(job, "Unknown job kind.")
    me = asyncio.current_task()
    assert me is not None
    # Created before the handler's transaction opens, so its beats use their own transactions.
    beating = asyncio.create_task(_heartbeat(job, interval, me))
    log.info("job.started")
    try:
        async with tenant_transaction(ctx):
            result = await spec.handler(job)
            await _stop(beating)
            await _succeed(job, result)
    except LostClaim:
        log.warning("job.abandoned_claim_lost")
        return None
    except asyncio.CancelledError as exc:
        await _stop(beating)
        if job.lost:  # our own heartbeat cancelled us: another worker owns the job now
            me.uncancel()
            log.warning("job.abandoned_claim_lost")
            return None
        await _fail(job, describe_error(exc))
        raise
    except Exception as exc:
        await _stop(beating)
        log.warning("job.attempt_failed", error=type(exc).__name__, exc_info=True)
        status = await _fail(job, describe_error(exc))
        if status == "queued":
            raise JobRetry(f"job {job.job_id} attempt {job.attempt} failed") from exc
        return status
    finally:
        await _stop(beating)
    log.info("job.succeeded")
    return "succeeded"
