"""Talent-card actors (人才卡)."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("talent.issue"))
async def issue_cards(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("talent.publish_status"))
async def publish_status(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("talent.sweep"))
async def sweep_cards(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
