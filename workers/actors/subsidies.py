"""Subsidies actors (补贴): the nightly close of public notices."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("subsidies.close_notices"))
async def close_notices(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
