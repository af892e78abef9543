"""City rollups (06-rollups, issue 12):

* **incremental refresh**: the fold of the same 1,000 changes in a district with 1,000,000
  applications of history and in one with 10,000 (goal: the large fold ≤ 1.5× the small one) — its
  cost should follow the change, not the history. Twice: 1,000 applications filed this month, then
  1,000 of the history's awards paid this month (both kept by deltas; the payments move the
  payees' first months too);
* **full recount** of the district with 1,000,000 applications (``folding.counted_afresh``, what
  the nightly ``rollups.recompute`` runs): goal under 60 s on this machine;
* **the city page's figures** (``views.dashboard``: the headline and the previous period, and the
  views by district, month and program) over 7 districts × 5 years of cells, against raw asyncpg
  reading the same cells on one connection (goal: throughput ≥ 0.7×). The HTML render is not in
  it (the page benchmarks of ``bench.web`` measure rendering).

The history is written by SQL with the triggers off (as a restore would), half of it paid with a
payment line each, then counted once; each measured fold is rolled back.
"""

from __future__ import annotations

import time
import uuid
from datetime import date

import asyncpg

from bench.environment import settle, started_engine
from bench.report import Result
from renshe.accounts.principal import OrgUnitRef, Principal, Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.rollups import folding, views
from renshe.rollups.facts import COUNT_PAYEES

SMALL, LARGE = ("440703", 10_000), ("440704", 1_000_000)
CHANGES = 1_000
ROUNDS = 3
PROGRAMS = ("startup_once", "skills_cert")
THIS_MONTH = date(2026, 11, 1)


class _Rollback(Exception):
    pass


async def _tenant(conn: asyncpg.Connection, code: str) -> uuid.UUID:
    tenant: uuid.UUID = await conn.fetchval("SELECT id FROM org_units WHERE code = $1", code)
    return tenant


async def history(url: str, code: str, count: int) -> uuid.UUID:
    """``count`` applications over the five years before THIS_MONTH, half paid (a line each)."""
    conn = await asyncpg.connect(url)
    try:
        tenant = await _tenant(conn, code)
        batch = uuid.uuid4()
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")  # a restore: no triggers
            await conn.execute(
                """INSERT INTO disbursement_batches (tenant_id, id, build_key, business_date, origin,
                       payer_account, payer_name, payer_bank, layout, state, declared_count,
                       declared_total_fen, number)
                   VALUES ($1, $2, $3, '2026-01-01', 'manual', '1', '局', '银行', 'icbc', 'reconciled',
                           0, 0, $3)""",
                tenant, batch, f"bench:{batch}",
            )  # fmt: skip
            await conn.execute(
                "INSERT INTO persons (tenant_id, name, residency) SELECT $1, '基准' || g, 'mainland'"
                " FROM generate_series(1, $2) g",
                tenant, max(count // 4, 1),
            )  # fmt: skip
            version = {
                p: await conn.fetchval("SELECT id FROM program_versions WHERE program_code = $1 LIMIT 1", p)
                for p in PROGRAMS
            }
            await conn.execute(
                """WITH people AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM persons
                                   WHERE tenant_id = $1),
                   total AS (SELECT count(*) AS c FROM people)
                   INSERT INTO applications (tenant_id, id, number, program_code, policy_version_id,
                       person_id, application_date, amount_fen, budget_year, state, submitted_at, decided_at)
                   SELECT $1, gen_random_uuid(), 'B' || g, CASE WHEN g % 2 = 0 THEN $3 ELSE $4 END,
                          CASE WHEN g % 2 = 0 THEN $5::uuid ELSE $6::uuid END, p.id,
                          $7::date - (g % 1826), 100000, 2026,
                          CASE WHEN g % 2 = 0 THEN 'paid' ELSE 'approved' END,
                          ($7::date - (g % 1826))::timestamptz, ($7::date - (g % 1826) + 3)::timestamptz
                   FROM generate_series(1, $2) g CROSS JOIN total
                   JOIN people p ON p.n = g % total.c""",
                tenant, count, PROGRAMS[0], PROGRAMS[1], version[PROGRAMS[0]], version[PROGRAMS[1]],
                THIS_MONTH,
            )  # fmt: skip
            await conn.execute(
                """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference, amount_fen,
                       payee_name, payee_account_enc, payee_account_masked, state, resolved_at)
                   SELECT a.tenant_id, $2, a.id, row_number() OVER (), 'R' || a.number, a.amount_fen, '基准',
                          'k:x:y', '6222 **** **** 0001', 'paid', a.decided_at + interval '10 days'
                   FROM applications a WHERE a.tenant_id = $1 AND a.state = 'paid'""",
                tenant, batch,
            )  # fmt: skip
        return tenant
    finally:
        await conn.close()


async def _count_once(tenant: uuid.UUID) -> float:
    """The full recount (the nightly recount's counting: every payee's paid lines per month, and
    every cell), written as the payees' months and the cells."""
    async with tenant_transaction(TenantContext.district(tenant)):
        start = time.perf_counter()
        payees = await current_transaction().connection.fetch(COUNT_PAYEES, tenant)
        fresh = await folding.counted_afresh(tenant)
        elapsed = time.perf_counter() - start
        await current_transaction().connection.executemany(
            "INSERT INTO rollup_payee_months (tenant_id, program_code, served, payee_id, month, paid_lines)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(tenant, *payee) for payee in payees],
        )
        await current_transaction().connection.executemany(
            "INSERT INTO rollup_cells (tenant_id, month, program_code, metric, value)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(tenant, m, p, k, v) for (m, p, k), v in fresh.items()],
        )
    return elapsed


async def _changes(url: str, tenant: uuid.UUID) -> None:
    """1,000 applications filed this month, as clerks would: triggers on, change rows marked."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            person = await conn.fetchval("SELECT id FROM persons WHERE tenant_id = $1 LIMIT 1", tenant)
            await conn.execute(
                """INSERT INTO applications (tenant_id, program_code, person_id, application_date)
                   SELECT $1, CASE WHEN g % 2 = 0 THEN $3 ELSE $4 END, $5, $6::date + (g % 28)
                   FROM generate_series(1, $2) g""",
                tenant, CHANGES, PROGRAMS[0], PROGRAMS[1], person, THIS_MONTH,
            )  # fmt: skip
            await conn.execute(
                """UPDATE applications SET state = 'submitted', submitted_at = application_date::timestamptz
                   WHERE tenant_id = $1 AND state = 'draft' AND application_date >= $2""",
                tenant, THIS_MONTH,
            )  # fmt: skip
    finally:
        await conn.close()


async def _payments(url: str, tenant: uuid.UUID) -> None:
    """1,000 awards of the history paid this month: their lines written, then confirmed by one
    statement, as a bank file is (triggers on)."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            batch = await conn.fetchval(
                "SELECT id FROM disbursement_batches WHERE tenant_id = $1 AND build_key LIKE 'bench:%'",
                tenant,
            )
            await conn.execute(
                """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference, amount_fen,
                       payee_name, payee_account_enc, payee_account_masked, state, resolved_at)
                   SELECT a.tenant_id, $2, a.id,
                          (SELECT max(seq) FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2)
                            + row_number() OVER (ORDER BY a.id),
                          'R' || a.number, a.amount_fen, '基准', 'k:x:y', '6222 **** **** 0001',
                          'pending', NULL
                   FROM (SELECT * FROM applications WHERE tenant_id = $1 AND state = 'approved'
                         ORDER BY id LIMIT $3) a""",
                tenant, batch, CHANGES,
            )  # fmt: skip
            await conn.execute(
                """UPDATE payment_lines SET state = 'paid', resolved_at = $3::date + interval '10 hours'
                   WHERE tenant_id = $1 AND batch_id = $2 AND state = 'pending'""",
                tenant, batch, THIS_MONTH,
            )  # fmt: skip
    finally:
        await conn.close()


async def _fold_for_good(tenant: uuid.UUID) -> None:
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)


async def _fold(tenant: uuid.UUID) -> tuple[float, int]:
    best, folded = float("inf"), 0
    for _ in range(ROUNDS):
        try:
            async with tenant_transaction(TenantContext.district(tenant)):
                start = time.perf_counter()
                folded = await folding.fold_all(tenant)
                best = min(best, time.perf_counter() - start)
                raise _Rollback
        except _Rollback:
            pass
    return best, folded


def _rows(n: int) -> str:
    return f"{n:,} change row" + ("" if n == 1 else "s")


async def refresh_and_recount(url: str) -> list[Result]:
    tenants = {code: await history(url, code, count) for code, count in (SMALL, LARGE)}
    await settle(url)
    async with started_engine():
        recount = {code: await _count_once(tenant) for code, tenant in tenants.items()}
    for tenant in tenants.values():
        await _changes(url, tenant)
    await settle(url)
    async with started_engine():
        small, n_small = await _fold(tenants[SMALL[0]])
        large, n_large = await _fold(tenants[LARGE[0]])
        for tenant in tenants.values():
            await _fold_for_good(tenant)
    for tenant in tenants.values():
        await _payments(url, tenant)
    await settle(url)
    async with started_engine():
        paid_small, n_paid_small = await _fold(tenants[SMALL[0]])
        paid_large, n_paid_large = await _fold(tenants[LARGE[0]])
    return [
        Result(
            name="rollups: incremental refresh (history)",
            product=f"{CHANGES:,} applications filed ({_rows(n_large)}) over {LARGE[1]:,} "
            f"applications: {large * 1000:,.0f} ms",
            baseline=f"the same over {SMALL[1]:,} applications ({_rows(n_small)}): {small * 1000:,.0f} ms",
            ratio=large / small, goal=1.5, higher_is_better=False,
        ),
        Result(
            name="rollups: incremental refresh, payments (history)",
            product=f"{CHANGES:,} awards paid ({_rows(n_paid_large)}) over {LARGE[1]:,} applications: "
            f"{paid_large * 1000:,.0f} ms",
            baseline=f"the same over {SMALL[1]:,} applications ({_rows(n_paid_small)}): "
            f"{paid_small * 1000:,.0f} ms",
            ratio=paid_large / paid_small, goal=1.5, higher_is_better=False,
        ),
        Result(
            name="rollups: full recount",
            product=f"every cell of a district with {LARGE[1]:,} applications (half paid, a line each)",
            baseline=f"(absolute goal; {SMALL[1]:,} applications: {recount[SMALL[0]]:.2f} s)",
            ratio=recount[LARGE[0]], goal=60, higher_is_better=False, unit=" s",
        ),
    ]  # fmt: skip


CELLS_SQL = """SELECT tenant_id, program_code, month, metric, sum(value)::bigint AS value FROM rollup_cells
               WHERE tenant_id = ANY($1::uuid[]) AND month BETWEEN $2 AND $3 GROUP BY 1, 2, 3, 4"""


async def city_page(url: str, calls: int = 50) -> Result:
    """Five years of cells in every district (a history per district), read as the city page does."""
    conn = await asyncpg.connect(url)
    try:
        city = await conn.fetchrow(
            "SELECT id, code, kind, name_zh, name_en FROM org_units WHERE code = '440700'"
        )
        districts = [
            r["id"] for r in await conn.fetch("SELECT id FROM org_units WHERE parent_id = $1", city["id"])
        ]
        filled = {r["tenant_id"] for r in await conn.fetch("SELECT DISTINCT tenant_id FROM rollup_cells")}
    finally:
        await conn.close()
    codes = {"440705", "440781", "440783", "440784", "440785", "440703", "440704"}
    for code in sorted(codes):
        conn = await asyncpg.connect(url)
        try:
            tenant = await _tenant(conn, code)
        finally:
            await conn.close()
        if tenant not in filled:
            await history(url, code, 20_000)
            await settle(url)  # without statistics the recount's join of 20,000 lines is a nested loop
            async with started_engine():
                await _count_once(tenant)
    await settle(url)
    first, last = date(2021, 12, 1), date(2026, 11, 1)
    conn = await asyncpg.connect(url)
    try:
        start = time.perf_counter()
        for _ in range(calls):  # the same reads: this period, the previous one, three views
            for window in ((first, last), (date(2016, 12, 1), date(2021, 11, 1)), *([(first, last)] * 3)):
                await conn.fetch(CELLS_SQL, districts, *window)
        baseline = (time.perf_counter() - start) / calls
    finally:
        await conn.close()
    analyst = Principal(
        user_id=uuid.uuid4(), username="bench_analyst", display_name="基准",
        org_unit=OrgUnitRef(city["id"], city["code"], city["kind"], city["name_zh"], city["name_en"]),
        roles=frozenset({Role.CITY_ANALYST}), readable_units=frozenset({city["id"], *districts}),
    )  # fmt: skip
    f = views.Filters(first, last, "", "", "")
    async with started_engine():
        data = await views.dashboard(analyst, f)
        assert len(data["views"]["district"]["rows"]) == 7, data["views"]["district"]["rows"]
        start = time.perf_counter()
        for _ in range(calls):
            await views.dashboard(analyst, f)
        product = (time.perf_counter() - start) / calls
    return Result(
        name="rollups: the city page's figures",
        product=f"views.dashboard, 7 districts × 5 years (row-secured): {product * 1000:.1f} ms",
        baseline=f"raw asyncpg, the same cells on one connection: {baseline * 1000:.1f} ms",
        ratio=baseline / product, goal=0.7, higher_is_better=True,
    )  # fmt: skip


async def run(url: str) -> list[Result]:
    return [*await refresh_and_recount(url), await city_page(url)]
