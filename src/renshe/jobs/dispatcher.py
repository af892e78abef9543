"""The dispatcher sweep (调度补发): re-send jobs that never reached a worker or lost theirs.

Covers a crash between commit and send, a Redis restart that lost its messages, and a worker
killed mid-job (its heartbeat went stale). ``jobs_due_for_dispatch`` is a SECURITY DEFINER gate:
the application role cannot otherwise see every tenant's jobs, and through it sees only
``(tenant_id, id, kind)`` of due jobs. Re-sending a job that is in fact still waiting in Redis is
harmless: the worker that gets the second message finds nothing to claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import kinds, queue
from renshe.settings import get_settings

log = structlog.get_logger(__name__)
DEFAULT_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Resent:
    tenant_id: UUID
    job_id: UUID
    kind: str
    sent: bool


async def sweep(*, stale_seconds: int | None = None, limit: int = DEFAULT_LIMIT) -> list[Resent]:
    """One sweep: mark due jobs as (re)sent now and send each to its actor by name."""
    stale = get_settings().job_stale_seconds if stale_seconds is None else stale_seconds
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch(
            "SELECT tenant_id, id, kind FROM jobs_due_for_dispatch($1, $2)", stale, limit
        )
    resent: list[Resent] = []
    for row in rows:
        spec = kinds.get(row["kind"])
        if spec is None:  # a kind this process does not know cannot be routed; it stays queued
            log.warning("dispatcher.unknown_kind", job_id=str(row["id"]), kind=row["kind"])
            resent.append(Resent(row["tenant_id"], row["id"], row["kind"], False))
            continue
        sent = await queue.send(row["kind"], spec.queue, row["tenant_id"], row["id"])
        resent.append(Resent(row["tenant_id"], row["id"], row["kind"], sent))
    if resent:
        log.info("dispatcher.resent", count=sum(r.sent for r in resent), due=len(resent))
    return resent
