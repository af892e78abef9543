"""Nightly batch: build and export ``n`` ready awards, against ``copy_records_to_table`` of the same
lines into the same table (goal ≥ 0.25× the baseline's rows per second).

The product runs as it is deployed: the application role through RLS, chunked short transactions,
every account unsealed and sealed again for the line, events and audit written; the build with the
configured number of builders (``RENSHE_BATCH_BUILDERS``, default 2), as the nightly job runs it.
Each batch is then approved (not timed: a person's click) and exported as the export job does it —
one job per batch, the jobs shared by the worker processes of ``deploy/`` (``renshe worker
--processes 2``), the envelope checked and the SHA-256 recorded. The baseline then deletes those
lines and COPYs the very same rows back.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from multiprocessing import get_context

import asyncpg

from bench import awards
from bench.environment import started_engine
from bench.report import Result
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement import export, lifecycle
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import CHUNK_LINES, DEFAULT_MAX_LINES
from renshe.settings import get_settings

DISTRICT = "440703"
BUSINESS_DATE = date(2026, 3, 3)
CHUNK = int(os.environ.get("BENCH_CHUNK", CHUNK_LINES))  # the product default unless asked
EXPORT_PROCESSES = 2  # deploy/compose.yaml and the systemd unit run `renshe worker --processes 2`


async def run(url: str, n: int) -> Result:
    tenant = await awards.make_ready(url, DISTRICT, n)
    finance = await awards.finance_user(url, tenant)
    actor = audit.Actor(finance, "bench", "finance")
    builders = get_settings().batch_builders
    request = BuildRequest(
        tenant, BUSINESS_DATE, "nightly", f"nightly:{BUSINESS_DATE.isoformat()}",
        max_lines=DEFAULT_MAX_LINES, chunk_lines=CHUNK, builders=builders,
    )  # fmt: skip
    async with started_engine():
        t0 = time.perf_counter()
        result = await build(request)
        built = time.perf_counter() - t0
        batch_ids = [uuid.UUID(b) for b in result.batches]
        for batch_id in batch_ids:
            async with tenant_transaction(TenantContext.district(tenant)):
                await lifecycle.approve(tenant, actor, batch_id)
    if result.lines_added != n:
        raise RuntimeError(f"built {result.lines_added} lines for {n} ready awards")
    exported, lines = await _export_as_jobs(tenant, finance, batch_ids)
    if lines != n:
        raise RuntimeError(f"exported {lines} lines for {n} ready awards")
    baseline = await _copy_same_lines(url, tenant)
    product_rate = n / (built + exported)
    baseline_rate = n / baseline
    return Result(
        name="nightly batch",
        product=f"build + export {n:,} awards: {product_rate:,.0f} rows/s (build {built:.1f} s with "
        f"{builders} builders, export {exported:.1f} s on {EXPORT_PROCESSES} processes, "
        f"{len(batch_ids)} files)",
        baseline=f"copy_records_to_table of the same lines: {baseline_rate:,.0f} rows/s",
        ratio=product_rate / baseline_rate,
        goal=0.25,
        higher_is_better=True,
    )


async def _export_as_jobs(
    tenant: uuid.UUID, finance: uuid.UUID, batch_ids: list[uuid.UUID]
) -> tuple[float, int]:
    """Seconds to export every batch, one job each, shared by ``EXPORT_PROCESSES`` processes that
    were running before the clock started (as worker processes are); and the lines exported."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(EXPORT_PROCESSES, mp_context=get_context("spawn")) as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, _boot, 0.5) for _ in range(EXPORT_PROCESSES)))
        t0 = time.perf_counter()
        shares = [[str(b) for b in batch_ids[i::EXPORT_PROCESSES]] for i in range(EXPORT_PROCESSES)]
        counts = await asyncio.gather(
            *(loop.run_in_executor(pool, _export_share, str(tenant), str(finance), share) for share in shares)
        )
        return time.perf_counter() - t0, sum(counts)


def _boot(seconds: float) -> None:
    """Imported and idle, like a worker process waiting for its next message."""
    time.sleep(seconds)


def _export_share(tenant: str, finance: str, batch_ids: list[str]) -> int:
    return asyncio.run(_export_jobs(uuid.UUID(tenant), uuid.UUID(finance), [uuid.UUID(b) for b in batch_ids]))


async def _export_jobs(tenant: uuid.UUID, finance: uuid.UUID, batch_ids: list[uuid.UUID]) -> int:
    actor = audit.Actor(finance, "bench", "finance")
    lines = 0
    async with started_engine():
        for batch_id in batch_ids:  # the export job's whole effect, in its one transaction
            async with tenant_transaction(TenantContext.district(tenant)):
                done = await export.export_own_file(tenant, actor, batch_id)
            if done.outcome != "exported":
                raise RuntimeError(f"batch {batch_id}: export {done.outcome}")
            lines += done.lines
    return lines


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
