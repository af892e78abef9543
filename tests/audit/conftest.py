"""A throwaway org unit per test, whose audit chain a test may break (as a superuser, the way an
intruder with database access would) without touching the districts other tests use."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import pytest_asyncio

from renshe.audit import service as audit
from renshe.db import urls
from renshe.db.tenant import TenantContext, tenant_transaction

TESTER = audit.Actor(user_id=None, username="chain_tester", role="clerk", request_id="req-test")


@dataclass(frozen=True, slots=True)
class Unit:
    id: UUID
    code: str


async def superuser(admin_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))


@pytest_asyncio.fixture(loop_scope="session")
async def unit(db: None, admin_url: str) -> AsyncIterator[Unit]:
    """An inactive district (no fan-out, no users) with five audit records."""
    code = f"49{secrets.randbelow(10_000):04d}"
    conn = await superuser(admin_url)
    try:
        unit_id = await conn.fetchval(
            "INSERT INTO org_units (key, code, kind, parent_id, name_zh, name_en, active)"
            " SELECT $1, $2, 'district', id, '测试区', 'Test District', false"
            " FROM org_units WHERE code = '440700' RETURNING id",
            f"chain-test-{code}",
            code,
        )
    finally:
        await conn.close()
    async with tenant_transaction(TenantContext.district(unit_id)):
        for i in range(1, 6):
            await audit.record(unit_id, TESTER, "test.changed", object_type="thing",
                               object_id=f"t{i}", before={"n": i - 1}, after={"n": i})  # fmt: skip
    yield Unit(unit_id, code)
    conn = await superuser(admin_url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("DELETE FROM audit_log WHERE tenant_id = $1", unit_id)
            await conn.execute("DELETE FROM jobs WHERE tenant_id = $1", unit_id)
            await conn.execute("DELETE FROM org_units WHERE id = $1", unit_id)
    finally:
        await conn.close()


async def tamper(admin_url: str, sql: str, *args: object) -> None:
    """Run ``sql`` as a superuser with the append-only trigger switched off."""
    conn = await superuser(admin_url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(sql, *args)
    finally:
        await conn.close()
