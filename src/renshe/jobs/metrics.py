"""The ``renshe_jobs`` gauge: queued and running jobs, and failures of the last day, by status."""

from __future__ import annotations

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.web import metrics

REPORTED = ("queued", "running", "failed")


async def jobs_by_status() -> dict[tuple[str, ...], float]:
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch("SELECT status, jobs FROM jobs_status_counts()")
    counts = {r["status"]: float(r["jobs"]) for r in rows}
    # every status always present, so an alert on "failed > 0" sees a 0 rather than nothing
    return {(status,): counts.get(status, 0.0) for status in REPORTED}


def register() -> None:
    metrics.register_gauge(
        "renshe_jobs",
        "Background jobs queued or running now, and failed in the last 24 hours, by status.",
        ("status",),
        jobs_by_status,
    )
