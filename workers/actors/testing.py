"""Test-only actors, declared only when ``RENSHE_ENABLE_TEST_KINDS=1`` (fault tests)."""

from uuid import UUID

import dramatiq

from renshe.jobs import kinds, runner
from workers.broker import job_actor_options

if kinds.test_kinds_enabled():

    @dramatiq.actor(**job_actor_options("testing.sleep"))
    async def sleep(tenant_id: str, job_id: str) -> None:
        await runner.run(UUID(tenant_id), UUID(job_id))
