"""Registry actors."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("registry.rotate_keys"))
async def rotate_keys(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
