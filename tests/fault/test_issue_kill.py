"""A real ``renshe worker`` issuing talent cards, SIGKILLed in the middle of an issuance — after the
card's number was taken, before its transaction committed — several times over, then left to
finish: every approval has exactly one card, and the committed card numbers of the district and
year run 1, 2, 3 … without a gap (a killed transaction gives its number back) and without a repeat.

How the kill is aimed: the test holds the district's audit-chain lock. An issuer numbers, signs and
records its chunk of cards and then waits for that lock to write the chunk's audit record, inside
the same transaction; the test sees it waiting in ``pg_stat_activity`` and kills the worker there."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import date
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from renshe import clock
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import dispatcher
from renshe.jobs import service as jobs
from renshe.talent.nightly_issue import CHUNK
from renshe.talent.tasks import ISSUE
from tests.disbursement.awards import district
from tests.fault.workers import STALE_SECONDS, Worker, start_worker, wait_for
from tests.jobs.support import load_job
from tests.talent.bulk import make_approved, sequences

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]
APPROVALS = 12_000  # chunks of 500 at a few thousand cards a second: room for three kills
KILLS = 3
KAIPING = "440783"


async def _issued(tenant: UUID, ids: list[UUID]) -> dict[UUID, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            """SELECT a.id, count(c.id) AS cards FROM talent_applications a
               LEFT JOIN talent_cards c ON c.tenant_id = a.tenant_id AND c.application_id = a.id
               WHERE a.tenant_id = $1 AND a.id = ANY($2::uuid[]) GROUP BY a.id""",
            tenant,
            ids,
        )
    return {r["id"]: r["cards"] for r in rows}


async def _waiting_on_a_lock(conn: asyncpg.Connection) -> bool:
    # inside a transaction the activity view is a snapshot taken at its first read: take a new one
    await conn.execute("SELECT pg_stat_clear_snapshot()")
    return bool(
        await conn.fetchval(
            """SELECT count(*) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND query ILIKE '%audit_append%'"""
        )
    )


async def test_issuance_killed_mid_transaction_issues_each_approval_once_and_burns_no_number(
    workers: list[Worker], tmp_path: Path, admin_url: str, rng: random.Random
) -> None:
    tenant = await district(KAIPING)
    on: date = clock.today()
    ids = await make_approved(admin_url, tenant, APPROVALS, on)
    holder = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        await holder.execute(
            "INSERT INTO talent_status_lists (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING",
            tenant,
        )
        async with tenant_transaction(TenantContext.district(tenant)):
            job = await jobs.enqueue(
                ISSUE, tenant, {"business_date": on.isoformat()}, f"manual:{uuid.uuid4()}", business_date=on
            )
        worker = await start_worker(workers, tmp_path)
        kills = 0
        while kills < KILLS:
            await asyncio.sleep(rng.uniform(0.05, 0.4))  # a random issuance of the run
            async with holder.transaction():
                # the district's audit chain: an issuer's chunk takes it last, its cards numbered
                await holder.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1::uuid::text, 0))", tenant
                )
                left = sum(1 for n in (await _issued(tenant, ids)).values() if n == 0)
                if (await load_job(tenant, job.id)).status == "succeeded" or left < 2 * CHUNK:
                    break

                async def stuck() -> bool:
                    return await _waiting_on_a_lock(holder)

                await wait_for(stuck, 30, "an issuer to hold new card numbers and wait")
                worker.kill()  # its transaction dies with the number it took
            kills += 1
            worker = await start_worker(workers, tmp_path)

            async def taken_over(attempts: int = kills) -> bool:
                await dispatcher.sweep(stale_seconds=STALE_SECONDS)
                now = await load_job(tenant, job.id)
                return now.attempts > attempts or now.status == "succeeded"

            await wait_for(taken_over, 60, "another worker to take the killed issuance over")
    finally:
        await holder.close()
    assert kills >= 2, "the run finished before it could be killed: make it bigger"

    async def finished() -> bool:
        await dispatcher.sweep(stale_seconds=STALE_SECONDS)
        return (await load_job(tenant, job.id)).status in ("succeeded", "failed")

    await wait_for(finished, 180, "the issuance to finish")
    done = await load_job(tenant, job.id)
    assert done.status == "succeeded", worker.log[-4000:]
    assert done.attempts == kills + 1

    assert await _issued(tenant, ids) == {a: 1 for a in ids}  # one card each, none twice
    numbers = await sequences(admin_url, tenant, on.year)
    assert numbers == list(range(1, len(numbers) + 1)), "a number was burned or repeated"
    assert len(numbers) >= APPROVALS
