"""Registry import actors (批量导入)."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("registry.validate_import"))
async def validate_import(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("registry.run_import"))
async def run_import(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
