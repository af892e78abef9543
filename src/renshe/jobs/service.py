"""Jobs (后台任务): create inside the caller's transaction, send after commit, read, cancel.

The jobs table is the source of truth; Dramatiq only carries a wake-up call ``(tenant_id,
job_id)`` to the actor named like the job's kind. A message that never arrives is re-sent by the
dispatcher sweep; a message that arrives twice is harmless because a worker must *claim* the row
before running it (``runner``).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.db.tenant import current_transaction, on_commit, within
from renshe.errors import Conflict, NotFound
from renshe.jobs import kinds, queue

FINISHED = frozenset({"succeeded", "failed", "cancelled"})
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")

_COLUMNS = """tenant_id, id, kind, args, idempotency_key, business_date, status, progress_done,
    progress_total, attempts, max_attempts, result, last_error, requested_by, worker, created_at,
    enqueued_at, started_at, heartbeat_at, finished_at"""


def rate_of(done: int | None, started: datetime | None, last_write: datetime | None) -> float | None:
    """Rows per second of a job's current (or last) attempt: its progress over the time from its
    start to its last progress or heartbeat write (or its end). None before a second has passed
    or before anything was done."""
    if not done or done <= 0 or started is None or last_write is None:
        return None
    seconds = (last_write - started).total_seconds()
    return done / seconds if seconds >= 1 else None


@dataclass(frozen=True, slots=True)
class Job:
    """One row of ``jobs`` as services and pages see it."""

    tenant_id: UUID
    id: UUID
    kind: str
    args: dict[str, Any]
    idempotency_key: str
    business_date: date | None
    status: str
    progress_done: int
    progress_total: int | None
    attempts: int
    max_attempts: int
    result: dict[str, Any] | None
    last_error: str | None
    requested_by: UUID | None
    worker: str | None
    created_at: datetime
    enqueued_at: datetime | None
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record | dict[str, Any]) -> Job:
        data = dict(row)
        for key in ("args", "result"):
            if isinstance(data[key], str):
                data[key] = json.loads(data[key])
        return cls(**data)

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def rate(self) -> float | None:
        return rate_of(self.progress_done, self.started_at, self.finished_at or self.heartbeat_at)

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.status == "succeeded" else None
        return min(100, round(100 * self.progress_done / self.progress_total))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def enqueue(
    kind: str,
    tenant_id: UUID,
    args: dict[str, Any],
    idempotency_key: str,
    *,
    requested_by: UUID | None = None,
    business_date: date | None = None,
    total: int | None = None,
) -> Job:
    """Create the job row in the open tenant transaction, or return the one with this key.

    A new job is sent to Dramatiq only after the transaction commits; if it rolls back there is
    neither a row nor a message. An existing job is returned as it is (the key is the caller's
    promise that the two requests mean the same work), and nothing is sent again.
    """
    job, _ = await submit(
        kind, tenant_id, args, idempotency_key,
        requested_by=requested_by, business_date=business_date, total=total,
    )  # fmt: skip
    return job


async def submit(
    kind: str,
    tenant_id: UUID,
    args: dict[str, Any],
    idempotency_key: str,
    *,
    requested_by: UUID | None = None,
    business_date: date | None = None,
    total: int | None = None,
) -> tuple[Job, bool]:
    """:func:`enqueue`, also telling whether the row is new (``(job, created)``)."""
    spec = kinds.require(kind)
    conn = current_transaction().connection
    row = await conn.fetchrow(
        f"""INSERT INTO jobs (tenant_id, kind, args, idempotency_key, business_date, progress_total,
                              max_attempts, requested_by, created_at, enqueued_at)
            VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, coalesce($9, now()), coalesce($9, now()))
            ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
            RETURNING {_COLUMNS}""",
        tenant_id, kind, _json(args), idempotency_key, business_date, total,
        spec.max_attempts, requested_by, clock.record_time(),  # the demo's instant, else the database's
    )  # fmt: skip
    if row is None:
        existing = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2",
            tenant_id,
            idempotency_key,
        )
        if existing is None:  # the other row is not visible to this context
            raise Conflict("A job with this key exists elsewhere.")
        return Job.from_row(existing), False
    job = Job.from_row(row)

    async def send_after_commit() -> None:
        await queue.send(job.kind, spec.queue, job.tenant_id, job.id)

    on_commit(send_after_commit)
    return job, True


async def get(tenant_id: UUID | None, job_id: UUID) -> Job:
    """A job visible to the open transaction; another district's job is :class:`NotFound` exactly
    like a missing one. ``tenant_id`` narrows further (defence in depth)."""
    conn = current_transaction().connection
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM jobs WHERE id = $1 AND ($2::uuid IS NULL OR tenant_id = $2)",
        job_id,
        tenant_id,
    )
    if row is None:
        raise NotFound("No such job.")
    return Job.from_row(row)


async def list_jobs(
    tenant_ids: frozenset[UUID],
    *,
    limit: int = 50,
    after: tuple[datetime, UUID] | None = None,
    status: str | None = None,
    kind: str | None = None,
    hidden_kinds: Collection[str] = (),
) -> list[Job]:
    """Newest first, keyset-paged on (created_at, id), within ``tenant_ids`` and what RLS allows;
    none of ``hidden_kinds``."""
    conn = current_transaction().connection
    unit_sql, unit_arg = within("tenant_id", tenant_ids)
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM jobs
            WHERE {unit_sql}
              AND ($2::text IS NULL OR status = $2)
              AND ($3::text IS NULL OR kind = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
              AND kind <> ALL ($7::text[])
            ORDER BY created_at DESC, id DESC
            LIMIT $6""",
        unit_arg, status, kind,
        after[0] if after else None, after[1] if after else None, limit, sorted(hidden_kinds),
    )  # fmt: skip
    return [Job.from_row(r) for r in rows]


async def cancel(tenant_id: UUID, job_id: UUID) -> Job:
    """Cancel a job that has not started. A running or finished job cannot be cancelled."""
    conn = current_transaction().connection
    row = await conn.fetchrow(
        f"""UPDATE jobs SET status = 'cancelled', finished_at = now()
            WHERE tenant_id = $1 AND id = $2 AND status = 'queued'
            RETURNING {_COLUMNS}""",
        tenant_id,
        job_id,
    )
    if row is None:
        await get(tenant_id, job_id)  # NotFound when it is not ours
        raise Conflict("Only a job that has not started can be cancelled.")
    return Job.from_row(row)
