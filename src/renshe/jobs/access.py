"""Jobs as a signed-in user sees them: scoped to the caller's org units, with the actions the
caller's roles allow. A district user sees its district's jobs; a city user the city bureau's own
(a district's job names its files and rows: person-level work, not an aggregate, 01-platform §4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from renshe.accounts.principal import Principal, Role
from renshe.api.pagination import bad_cursor, decode_cursor, encode_cursor
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.errors import Forbidden, NotFound, ValidationFailed
from renshe.jobs import kinds, service
from renshe.jobs.service import Job

AUDIT_CHECK_KIND = "audit.verify_chain"
CAN_RUN_AUDIT_CHECK = frozenset({Role.DISTRICT_ADMIN, Role.FINANCE})
CAN_CANCEL_ANY = frozenset({Role.DISTRICT_ADMIN})


@dataclass(frozen=True, slots=True)
class JobPage:
    jobs: list[Job]
    next_cursor: str | None
    units: dict[UUID, dict[str, Any]]


def job_units(p: Principal) -> frozenset[UUID]:
    """Whose jobs ``p`` sees: the district's, or the city bureau's own."""
    return p.readable_units if p.is_district else frozenset({p.org_unit.id})


def can_run_audit_check(p: Principal) -> bool:
    return p.is_district and p.has(*CAN_RUN_AUDIT_CHECK)


def can_cancel(p: Principal, job: Job) -> bool:
    if job.status != "queued" or not p.is_district or job.tenant_id != p.org_unit.id:
        return False
    return job.requested_by == p.user_id or p.has(*CAN_CANCEL_ANY)


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), UUID(str(key[1]))
    except (ValueError, IndexError):
        raise bad_cursor() from None


async def _units(ids: set[UUID]) -> dict[UUID, dict[str, Any]]:
    rows = await current_transaction().connection.fetch(
        "SELECT id, code, name_zh, name_en FROM org_units WHERE id = ANY($1::uuid[])", list(ids)
    )
    return {r["id"]: dict(r) for r in rows}


async def list_for(
    p: Principal,
    request_id: str | None,
    *,
    limit: int,
    cursor: str | None = None,
    status: str | None = None,
    routine: bool = False,
) -> JobPage:
    """A page of the caller's jobs; the routine kinds (the rollups' folds) only when ``routine``."""
    if status is not None and status not in service.STATUSES:
        raise ValidationFailed({"status": "Choose a status from the list."})
    after = _after(cursor)
    hidden = () if routine else kinds.routine()
    async with tenant_transaction(p.context(request_id)):
        jobs = await service.list_jobs(
            job_units(p), limit=limit + 1, after=after, status=status, hidden_kinds=hidden
        )
        units = await _units({j.tenant_id for j in jobs})
    more = len(jobs) > limit
    jobs = jobs[:limit]
    next_cursor = encode_cursor([jobs[-1].created_at.isoformat(), str(jobs[-1].id)]) if more else None
    return JobPage(jobs, next_cursor, units)


async def get_for(p: Principal, request_id: str | None, job_id: UUID) -> tuple[Job, dict[str, Any]]:
    """One job of the caller's org units; anything else is NotFound, like a missing job."""
    async with tenant_transaction(p.context(request_id)):
        job = await service.get(None, job_id)
        if job.tenant_id not in job_units(p):  # a district's job, for a city user, or RLS hid it
            raise NotFound("No such job.")
        unit = (await _units({job.tenant_id})).get(job.tenant_id, {})
    return job, unit


async def request_audit_check(p: Principal, actor: audit.Actor) -> Job:
    """Run the audit chain check of the caller's district now (a new job each time)."""
    if not can_run_audit_check(p):
        raise Forbidden()
    async with tenant_transaction(p.context(actor.request_id)):
        job = await service.enqueue(
            AUDIT_CHECK_KIND,
            p.org_unit.id,
            {"requested": "manual"},
            f"manual:{AUDIT_CHECK_KIND}:{uuid.uuid4()}",
            requested_by=p.user_id,
            total=1,
        )
        await audit.record(p.org_unit.id, actor, "job.requested", object_type="job",
                           object_id=job.id, after={"kind": job.kind})  # fmt: skip
        return job


async def cancel_for(p: Principal, actor: audit.Actor, job_id: UUID) -> Job:
    job, _ = await get_for(p, actor.request_id, job_id)
    if not can_cancel(p, job):
        raise Forbidden()
    async with tenant_transaction(p.context(actor.request_id)):
        cancelled = await service.cancel(job.tenant_id, job.id)
        await audit.record(job.tenant_id, actor, "job.cancelled", object_type="job",
                           object_id=job.id, before={"status": job.status},
                           after={"status": cancelled.status})  # fmt: skip
        return cancelled
