"""Nightly batch: build and export ``n`` ready awards, against ``copy_records_to_table`` of the same
lines into the same table (goal ≥ 0.25× the baseline's rows per second).

The product runs as it does at night — the application role through RLS, chunked short
transactions, every account unsealed and sealed again for the line, events and audit written —
then each batch is approved (not timed: a person's click) and exported in its own layout with the
envelope checked. The baseline then deletes those lines and COPYs the very same rows back.
"""

from __future__ import annotations

import time
import uuid
from datetime import date

import asyncpg

from bench import awards
from bench.environment import started_engine
from bench.report import Result
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement import export, lifecycle
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import DEFAULT_MAX_LINES

DISTRICT = "440703"
BUSINESS_DATE = date(2026, 3, 3)
CHUNK = int(__import__("os").environ.get("BENCH_CHUNK", "500"))


async def run(url: str, n: int) -> Result:
    tenant = await awards.make_ready(url, DISTRICT, n)
    finance = await awards.finance_user(url, tenant)
    actor = audit.Actor(finance, "bench", "finance")
    request = BuildRequest(
        tenant, BUSINESS_DATE, "nightly", f"nightly:{BUSINESS_DATE.isoformat()}",
        max_lines=DEFAULT_MAX_LINES, chunk_lines=CHUNK,
    )  # fmt: skip
    async with started_engine():
        t0 = time.perf_counter()
        result = await build(request)
        built = time.perf_counter() - t0
        batch_ids = [uuid.UUID(b) for b in result.batches]
        for batch_id in batch_ids:
            async with tenant_transaction(TenantContext.district(tenant)):
                await lifecycle.approve(tenant, actor, batch_id)
        t1 = time.perf_counter()
        exported_bytes = 0
        for batch_id in batch_ids:
            async with tenant_transaction(TenantContext.district(tenant)):
                made = await export.export_batch(tenant, actor, batch_id)
            exported_bytes += len(made.content)
        exported = time.perf_counter() - t1
    if result.lines_added != n:
        raise RuntimeError(f"built {result.lines_added} lines for {n} ready awards")
    baseline = await _copy_same_lines(url, tenant)
    product_rate = n / (built + exported)
    baseline_rate = n / baseline
    return Result(
        name="nightly batch",
        product=f"build + export {n:,} awards: {product_rate:,.0f} rows/s "
        f"(build {built:.1f} s, export {exported:.1f} s, {len(batch_ids)} files, {exported_bytes:,} bytes)",
        baseline=f"copy_records_to_table of the same lines: {baseline_rate:,.0f} rows/s",
        ratio=product_rate / baseline_rate,
        goal=0.25,
        higher_is_better=True,
    )


async def _copy_same_lines(url: str, tenant: uuid.UUID) -> float:
    conn = await asyncpg.connect(url)
    try:
        columns = [
            r["attname"]
            for r in await conn.fetch(
                """SELECT attname FROM pg_attribute WHERE attrelid = 'payment_lines'::regclass
                   AND attnum > 0 AND NOT attisdropped ORDER BY attnum"""
            )
        ]
        rows = [tuple(r) for r in await conn.fetch(
            f"SELECT {', '.join(columns)} FROM payment_lines WHERE tenant_id = $1", tenant
        )]  # fmt: skip
        # Without the lines' own foreign-key checks (each deleted line would look for follow-ups
        # by a scan): this is clearing the table for the baseline, not something measured.
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("DELETE FROM payment_lines WHERE tenant_id = $1", tenant)
        await conn.execute("VACUUM ANALYZE payment_lines")
        t0 = time.perf_counter()
        await conn.copy_records_to_table("payment_lines", records=rows, columns=columns)
        return time.perf_counter() - t0
    finally:
        await conn.close()
