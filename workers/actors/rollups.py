"""Rollup actors (市级汇总): folding the changes, and the nightly recount."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("rollups.fold"))
async def fold(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("rollups.recompute"))
async def recompute(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("rollups.monthly_report"))
async def monthly_report(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
