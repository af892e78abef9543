"""Hong Kong and Macao youth grants (05-hkmo-youth, issue 11):

* **the nightly milestone run** (``hkmo.milestones``) costs in proportion to the tranches falling
  due, not to the history: the same 1,000 tranches falling due among 100,000 and among 1,000,000
  tranches of history (goal: the large run ≤ 1.5× the small one);
* **a grant with ten years of ledger** (120 monthly tranches released and paid, 241 entries) read as
  the grant page and API read it (``grants.get``: the grant, its tranches, ledger, balance and
  clawbacks, in the district's row-secured transaction) against raw asyncpg reading the same rows
  and sums on one connection (goal ≤ 1.5×).

The history is written by ``tests.hkmo.bulk`` (the fixtures the kill tests use) and measured best
of a few runs, each rolled back.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

import asyncpg
from tests.hkmo.bulk import approved_grants, tranche_history

from bench.environment import settle, started_engine
from bench.report import Result
from renshe.accounts.authentication import USER_COLUMNS, build_principal, user_roles
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.hkmo import grants, milestones
from renshe.registry.service import Caller

SMALL, LARGE = ("440703", 100_000), ("440704", 1_000_000)
FALLING_DUE = 1_000
PER_GRANT = 10
MORNING = date(2026, 3, 3)
ROUNDS = 3


class _Rollback(Exception):
    pass


async def _tenant(url: str, code: str) -> uuid.UUID:
    conn = await asyncpg.connect(url)
    try:
        tenant: uuid.UUID = await conn.fetchval("SELECT id FROM org_units WHERE code = $1", code)
        return tenant
    finally:
        await conn.close()


async def _night(tenant: uuid.UUID) -> tuple[float, int]:
    """The best of ``ROUNDS`` milestone runs for the district, each rolled back."""
    best, moved = float("inf"), 0
    for _ in range(ROUNDS):
        try:
            async with tenant_transaction(TenantContext.district(tenant)):
                start = time.perf_counter()
                result = await milestones.run(tenant, MORNING - timedelta(days=1))
                best, moved = min(best, time.perf_counter() - start), result["fell_due"]
                raise _Rollback
        except _Rollback:
            pass
    return best, moved


async def milestone_run(url: str) -> Result:
    for code, tranches in (SMALL, LARGE):
        tenant = await _tenant(url, code)
        await tranche_history(
            url,
            tenant,
            grants=tranches // PER_GRANT,
            per_grant=PER_GRANT,
            falling_due=FALLING_DUE,
            morning=MORNING,
        )
    await settle(url)
    async with started_engine():
        small, moved_small = await _night(await _tenant(url, SMALL[0]))
        large, moved_large = await _night(await _tenant(url, LARGE[0]))
    if moved_small != FALLING_DUE or moved_large != FALLING_DUE:
        raise RuntimeError(f"the runs moved {moved_small} and {moved_large} tranches, not {FALLING_DUE}")
    return Result(
        name="nightly milestone run (history)",
        product=f"{FALLING_DUE:,} falling due among {LARGE[1]:,} tranches: {large * 1000:,.0f} ms",
        baseline=f"the same {FALLING_DUE:,} among {SMALL[1]:,} tranches: {small * 1000:,.0f} ms",
        ratio=large / small, goal=1.5, higher_is_better=False,
    )  # fmt: skip


async def _ten_years(url: str, code: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A living-allowance grant with 120 monthly tranches, each released and paid: 241 entries."""
    tenant = await _tenant(url, code)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            (grant,) = await approved_grants(conn, tenant, 1, "hkmo_living")
            await conn.execute(
                """INSERT INTO hkmo_tranches (tenant_id, grant_id, seq, milestone, due_on, amount_fen)
                   SELECT $1, $2, s, 'employed_this_month', date '2016-01-05' + (s - 1) * interval '1 month',
                          100000 FROM generate_series(1, 120) s""",
                tenant, grant,
            )  # fmt: skip
            await conn.execute(
                """INSERT INTO hkmo_ledger (tenant_id, grant_id, kind, amount_fen, at)
                   VALUES ($1, $2, 'awarded', 12000000, '2016-01-05')""",
                tenant, grant,
            )  # fmt: skip
            await conn.execute(
                """INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, kind, amount_fen, at)
                   SELECT t.tenant_id, t.grant_id, t.id, k.kind, t.amount_fen, t.due_on + k.days
                   FROM hkmo_tranches t, (VALUES ('released', 1), ('paid', 3)) AS k(kind, days)
                   WHERE t.tenant_id = $1 AND t.grant_id = $2 ORDER BY t.seq, k.days""",
                tenant, grant,
            )  # fmt: skip
        user: uuid.UUID = await conn.fetchval(
            "INSERT INTO users (username, org_unit_id, password_hash) VALUES ($1, $2, 'x') RETURNING id",
            f"bench_{uuid.uuid4().hex[:12]}", tenant,
        )  # fmt: skip
        await conn.execute("INSERT INTO role_grants (user_id, role) VALUES ($1, 'reviewer')", user)
        return grant, user
    finally:
        await conn.close()


BASELINE = (
    "SELECT * FROM hkmo_grants WHERE tenant_id = $1 AND id = $2",
    "SELECT * FROM hkmo_tranches WHERE tenant_id = $1 AND grant_id = $2 ORDER BY seq",
    """SELECT l.*, t.seq FROM hkmo_ledger l LEFT JOIN hkmo_tranches t ON t.tenant_id = l.tenant_id
         AND t.id = l.tranche_id WHERE l.tenant_id = $1 AND l.grant_id = $2 ORDER BY l.at, l.id""",
    """SELECT kind, sum(amount_fen) FROM hkmo_ledger WHERE tenant_id = $1 AND grant_id = $2 GROUP BY kind""",
    "SELECT * FROM hkmo_clawbacks WHERE tenant_id = $1 AND grant_id = $2",
)


async def _caller(user_id: uuid.UUID) -> Caller:
    """The district reviewer as the page's request would act."""
    async with tenant_transaction(TenantContext.none()):
        row = await current_transaction().connection.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = $1",
            user_id,
        )
        return Caller(await build_principal(row, await user_roles(user_id)), request_id="bench")


async def ledger_read(url: str, calls: int = 300) -> Result:
    code = "440705"
    grant, user = await _ten_years(url, code)
    tenant = await _tenant(url, code)
    await settle(url)

    conn = await asyncpg.connect(url)
    try:
        start = time.perf_counter()
        for _ in range(calls):
            for sql in BASELINE:
                await conn.fetch(sql, tenant, grant)
        baseline = (time.perf_counter() - start) / calls
    finally:
        await conn.close()
    async with started_engine():
        who = await _caller(user)
        view = await grants.get(who, grant)
        assert len(view["ledger"]) == 241, len(view["ledger"])
        start = time.perf_counter()
        for _ in range(calls):
            await grants.get(who, grant)
        product = (time.perf_counter() - start) / calls
    return Result(
        name="a grant's ten-year ledger",
        product=f"grants.get (row-secured transaction, 120 tranches, 241 entries, balance): "
        f"{product * 1000:.2f} ms",
        baseline=f"raw asyncpg, the same rows and sums on one connection: {baseline * 1000:.2f} ms",
        ratio=product / baseline, goal=1.5, higher_is_better=False,
    )  # fmt: skip


async def run(url: str) -> list[Result]:
    return [await milestone_run(url), await ledger_read(url)]
