"""The rollup tests' shared history: two districts' records of March and April 2017 (a year no
other test writes), written once per session and folded."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest_asyncio

from renshe.db import urls
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.rollups import folding
from tests.registry.support import unit_id
from tests.rollups import history

A, B = "440781", "440784"
# 23:30 in Shanghai on 31 March 2017: an hour later it is April there
START = datetime(2017, 3, 31, 15, 30, tzinfo=UTC)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def history_2017(db: None, admin_url: str) -> None:
    """Written once in the session whichever module asks first (the browser test imports it)."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        if await conn.fetchval(
            "SELECT count(*) FROM applications WHERE tenant_id = $1 AND application_date < '2017-05-01'"
            " AND application_date >= '2017-03-01'",
            await unit_id(A),
        ):
            return
        a = await history.begin(conn, await unit_id(A), START)
        await history.file(a, 0, 0, 0)  # filed 31 March
        await history.decide(a, 0, True, 24, 100_000)  # approved 1 April
        await history.pay(a, 0, True, 24 * 10)  # paid 10 April: 10 days
        await history.file(a, 0, 1, 1)  # filed 00:30 on 1 April, Shanghai time
        await history.decide(a, 0, True, 30, 250_000)
        await history.pay(a, 0, False, 24 * 12)  # the bank returned it
        b = await history.begin(conn, await unit_id(B), START)
        await history.file(b, 0, 0, 0)
        await history.decide(b, 0, True, 24, 50_000)
        await history.pay(b, 0, True, 24 * 20)  # 20 days
    finally:
        await conn.close()
    for code in (A, B):
        tenant = await unit_id(code)
        async with tenant_transaction(TenantContext.district(tenant)):
            await folding.fold_all(tenant)
