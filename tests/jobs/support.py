"""Helpers shared by the job, audit and fault tests."""

from __future__ import annotations

import json
import uuid
from typing import Any
from uuid import UUID

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import queue
from renshe.jobs.service import Job
from renshe.redis import get_redis


async def unit_id(code: str) -> UUID:
    async with tenant_transaction(TenantContext.none()):
        value = await current_transaction().connection.fetchval(
            "SELECT id FROM org_units WHERE code = $1", code
        )
    assert value is not None, f"org unit {code} is not synced"
    return value


async def load_job(tenant_id: UUID, job_id: UUID) -> Job:
    """The job row as the district itself sees it."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        row = await current_transaction().connection.fetchrow(
            "SELECT * FROM jobs WHERE tenant_id = $1 AND id = $2", tenant_id, job_id
        )
    assert row is not None
    return Job.from_row(row)


async def queued_messages(queue_name: str = "default") -> list[dict[str, Any]]:
    """Messages waiting in the Dramatiq queue in Redis, decoded."""
    redis = get_redis()
    key = f"{queue.NAMESPACE}:{queue_name}"
    ids = await redis.lrange(key, 0, -1)
    if not ids:
        return []
    raw = await redis.hmget(f"{key}.msgs", ids)
    return [json.loads(r) for r in raw if r is not None]


async def messages_for(job_id: UUID, queue_name: str = "default") -> list[dict[str, Any]]:
    return [m for m in await queued_messages(queue_name) if m["args"][1] == str(job_id)]


async def forget_queue(queue_name: str = "default") -> None:
    """Drop every message of a queue, as a Redis restart without persistence would."""
    redis = get_redis()
    key = f"{queue.NAMESPACE}:{queue_name}"
    await redis.delete(key, f"{key}.msgs")


def key(prefix: str = "test") -> str:
    return f"{prefix}:{uuid.uuid4()}"
