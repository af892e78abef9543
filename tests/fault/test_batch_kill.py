"""A real ``renshe worker`` building a batch of thousands of lines, SIGKILLed at random moments
several times over, then left to finish: every ready award in exactly one live line, no line
missing or doubled, and every batch's lines add up to its envelope."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.service import KIND
from renshe.jobs import dispatcher, service
from tests.disbursement.awards import district, live_lines_per_award, make_ready, states
from tests.fault.workers import STALE_SECONDS, Worker, frozen_job, start_worker, wait_for
from tests.jobs.support import load_job

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]
AWARDS = 3_000
AMOUNT = 123_456
KILLS = 3
BUSINESS_DATE = date(2026, 4, 1)


async def _lines(tenant: UUID) -> tuple[int, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            """SELECT count(*) AS n, count(DISTINCT application_id) AS awards FROM payment_lines l
               JOIN disbursement_batches b ON b.tenant_id = l.tenant_id AND b.id = l.batch_id
               WHERE l.tenant_id = $1 AND b.business_date = $2""",
            tenant,
            BUSINESS_DATE,
        )
    return row["n"], row["awards"]


async def test_a_batch_build_killed_again_and_again_finishes_exactly_once(
    workers: list[Worker], tmp_path: Path, admin_url: str, rng: random.Random
) -> None:
    tenant = await district("440785")
    apps = await make_ready(admin_url, tenant, AWARDS, amount_fen=AMOUNT, ready_on=BUSINESS_DATE)
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue(
            KIND, tenant,
            # five lines per transaction: the build takes seconds, not one, so that the test sees the
            # takeover and aims the next kill before the new worker has finished (with 25 a quick
            # machine finished 3,000 lines between two kills now and then)
            {"business_date": BUSINESS_DATE.isoformat(), "max_lines": 1_000, "chunk_lines": 5},
            f"nightly:{KIND}:{BUSINESS_DATE.isoformat()}:{uuid.uuid4()}", business_date=BUSINESS_DATE,
        )  # fmt: skip

    kills = 0
    worker = await start_worker(workers, tmp_path)
    while kills < KILLS:
        lines_now, _ = await _lines(tenant)
        target = lines_now + rng.randint(50, 700)  # a random line of the build
        deadline = time.monotonic() + 60
        while (await _lines(tenant))[0] < target and time.monotonic() < deadline:
            if (await load_job(tenant, job.id)).status == "succeeded":
                break
            await asyncio.sleep(rng.uniform(0.005, 0.05))
        async with frozen_job(admin_url, tenant, job.id) as status:
            if status != "running":  # it finished before this kill
                break
            worker.kill()  # lands mid-build: the job cannot finish while its row is held
        kills += 1
        assert (await load_job(tenant, job.id)).status == "running"
        worker = await start_worker(workers, tmp_path)

        async def taken_over(attempts: int = kills) -> bool:
            await dispatcher.sweep(stale_seconds=STALE_SECONDS)
            now = await load_job(tenant, job.id)
            return now.attempts > attempts or now.status == "succeeded"

        await wait_for(taken_over, 60, "another worker to take the killed build over")

    assert kills >= 2, "the build finished before it could be killed: make it bigger"

    async def finished() -> bool:
        await dispatcher.sweep(stale_seconds=STALE_SECONDS)
        return (await load_job(tenant, job.id)).status in ("succeeded", "failed")

    await wait_for(finished, 120, "the build to finish")
    done = await load_job(tenant, job.id)
    assert done.status == "succeeded", worker.log[-4000:]
    assert done.attempts == kills + 1

    # exactly once: every award in one live line, none doubled, none left behind
    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}
    assert await states(tenant, apps) == {"in_batch": AWARDS}
    lines, awards = await _lines(tenant)
    assert lines == awards >= AWARDS
    async with tenant_transaction(TenantContext.district(tenant)):
        batches = await current_transaction().connection.fetch(
            """SELECT b.state, b.declared_count, b.declared_total_fen, count(l.id) AS n,
                      coalesce(sum(l.amount_fen), 0) AS total, count(DISTINCT l.seq) AS seqs
               FROM disbursement_batches b
               LEFT JOIN payment_lines l ON l.tenant_id = b.tenant_id AND l.batch_id = b.id
               WHERE b.tenant_id = $1 AND b.business_date = $2 GROUP BY b.tenant_id, b.id ORDER BY b.part""",
            tenant,
            BUSINESS_DATE,
        )
    assert [b["state"] for b in batches] == ["built"] * len(batches)
    assert all(b["n"] <= 1_000 for b in batches)
    for b in batches:  # the envelope equals the lines, sequence numbers without duplicates
        assert (b["declared_count"], b["declared_total_fen"]) == (b["n"], b["total"])
        assert b["seqs"] == b["n"]
    assert sum(b["declared_total_fen"] for b in batches) >= AWARDS * AMOUNT
