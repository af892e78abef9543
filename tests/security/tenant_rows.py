"""How to put one row into each tenant table as a superuser, for the isolation attacks.

Every tenant table must have a factory here: `test_every_tenant_table_has_a_factory` fails
otherwise, so a new table cannot slip past the attacks. A factory takes a superuser asyncpg
connection and a tenant id and returns the new row's id (as text).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

Factory = Callable[[asyncpg.Connection, UUID], Awaitable[str]]


async def _audit_log(conn: asyncpg.Connection, tenant: UUID) -> str:
    seq = await conn.fetchval(
        "SELECT audit_append($1, NULL, 'attack-fixture', NULL, 'fixture.row', 'fixture', 'x',"
        " NULL, NULL, NULL, NULL)",
        tenant,
    )
    return str(await conn.fetchval("SELECT id FROM audit_log WHERE tenant_id = $1 AND seq = $2", tenant, seq))


async def _jobs(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            "INSERT INTO jobs (tenant_id, kind, idempotency_key, status)"
            " VALUES ($1, 'fixture.row', $2, 'succeeded') RETURNING id",
            tenant,
            f"fixture:{uuid.uuid4()}",
        )
    )


FACTORIES: dict[str, Factory] = {
    "audit_log": _audit_log,
    "jobs": _jobs,
}
