"""JSON shapes of the jobs API (``/api/v1/jobs``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from renshe.jobs import kinds
from renshe.jobs.service import Job


def result_summary(job: Job) -> str | None:
    """A succeeded job's result in words (None: no summary for its kind, or not succeeded)."""
    return kinds.summarize(job.kind, job.result) if job.status == "succeeded" else None


class OrgUnitOut(msgspec.Struct):
    code: str
    name: str


class ProgressOut(msgspec.Struct):
    done: int
    total: int | None
    rate_per_second: float | None  # rows per second of the current or last attempt


class JobOut(msgspec.Struct):
    id: str
    org_unit: OrgUnitOut
    kind: str
    status: str
    progress: ProgressOut
    attempts: int
    max_attempts: int
    business_date: date | None
    result: dict[str, Any] | None
    summary: str | None  # the result in one sentence, in the caller's language
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobList(msgspec.Struct):
    items: list[JobOut]
    next_cursor: str | None


def job_out(job: Job, unit: dict[str, Any], locale: str) -> JobOut:
    name = unit.get("name_en" if locale == "en" else "name_zh") or ""
    return JobOut(
        id=str(job.id),
        org_unit=OrgUnitOut(code=unit.get("code", ""), name=name),
        kind=job.kind,
        status=job.status,
        progress=ProgressOut(
            done=job.progress_done,
            total=job.progress_total,
            rate_per_second=None if job.rate is None else round(job.rate, 1),
        ),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        business_date=job.business_date,
        result=job.result,
        summary=result_summary(job),
        # the last error matters while retrying or once failed; a later success clears it
        error=job.last_error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )
