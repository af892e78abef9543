"""Hong Kong and Macao youth actors (港澳青年): the nightly milestone run and ledger check."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("hkmo.milestones"))
async def fall_due(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("hkmo.check_ledgers"))
async def check_ledgers(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
