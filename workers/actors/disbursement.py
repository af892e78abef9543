"""Disbursement actors (发放批次)."""

from uuid import UUID

import dramatiq

from renshe.jobs import runner
from workers.broker import job_actor_options


@dramatiq.actor(**job_actor_options("disbursement.build_batches"))
async def build_batches(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))


@dramatiq.actor(**job_actor_options("disbursement.export_batch"))
async def export_batch(tenant_id: str, job_id: str) -> None:
    await runner.run(UUID(tenant_id), UUID(job_id))
