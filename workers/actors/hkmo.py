"""Hong Kong and Macao youth actors (港澳青年): the nightly milestone run."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("hkmo.milestones"))
async def fall_due(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
