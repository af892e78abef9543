"""A real ``renshe worker`` building a batch of thousands of lines, SIGKILLed at random moments
several times over, then left to finish: every ready award in exactly one live line, no line
missing or doubled, and every batch's lines add up to its envelope. Run twice: with subsidy
awards, and with the awards of HK/MO grant tranches — whose tranches follow their awards into the
batch and, once the bank's return pays the lines, are each paid once in their grant's ledger."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.service import KIND, batch_lines
from renshe.jobs import dispatcher, service
from tests.disbursement.awards import PROGRAM, district, live_lines_per_award, make_ready, make_user, states
from tests.fault.workers import STALE_SECONDS, Worker, frozen_job, start_worker, wait_for
from tests.hkmo.bulk import ready_tranches
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


@pytest.mark.parametrize("awards_of", ["subsidies", "hkmo_tranches"])
async def test_a_batch_build_killed_again_and_again_finishes_exactly_once(
    workers: list[Worker], tmp_path: Path, admin_url: str, rng: random.Random, awards_of: str
) -> None:
    # a district per run: each run's nightly date and awards are its own
    tenant = await district("440785" if awards_of == "subsidies" else "440705")
    program = "hkmo_rent" if awards_of == "hkmo_tranches" else PROGRAM
    apps = await make_ready(
        admin_url, tenant, AWARDS, amount_fen=AMOUNT, ready_on=BUSINESS_DATE, program=program
    )
    tranches = await ready_tranches(admin_url, tenant, apps) if awards_of == "hkmo_tranches" else []
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
            """SELECT b.id, b.state, b.declared_count, b.declared_total_fen, count(l.id) AS n,
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
    if tranches:
        await _tranches_paid_once(admin_url, tenant, tranches, [b["id"] for b in batches])


def _paying_every_line(lines: list[dict[str, Any]]) -> bytes:
    rows = [
        f"{line['reference']},{line['amount_fen'] // 100}.{line['amount_fen'] % 100:02d},成功,"
        for line in lines
    ]
    return "\r\n".join(["业务参考号,金额,状态,失败原因", *rows, ""]).encode("gbk")


async def _tranches_paid_once(
    admin_url: str, tenant: UUID, tranches: list[UUID], batch_ids: list[UUID]
) -> None:
    """The tranches followed their awards into the batch; once the bank pays every line, each is
    paid, with one ``paid`` entry in its grant's ledger."""

    async def tranche_states() -> dict[str, int]:
        async with tenant_transaction(TenantContext.district(tenant)):
            rows = await current_transaction().connection.fetch(
                "SELECT state, count(*) AS n FROM hkmo_tranches WHERE id = ANY($1::uuid[]) GROUP BY state",
                tranches,
            )
        return {r["state"]: r["n"] for r in rows}

    assert await tranche_states() == {"in_batch": AWARDS}
    finance = await make_user(admin_url, tenant)
    for batch_id in batch_ids:
        async with tenant_transaction(TenantContext.district(tenant, finance.user_id)):
            await lifecycle.approve(tenant, finance, batch_id)
            await export.export_batch(tenant, finance, batch_id)
            content = _paying_every_line(await batch_lines(tenant, batch_id))
            await reconcile.upload_return(tenant, finance, batch_id, "回盘.csv", content)
    assert await tranche_states() == {"paid": AWARDS}
    async with tenant_transaction(TenantContext.district(tenant)):
        per_tranche = await current_transaction().connection.fetch(
            """SELECT count(*) AS n FROM hkmo_ledger WHERE tenant_id = $1 AND kind = 'paid'
                 AND tranche_id = ANY($2::uuid[]) GROUP BY tranche_id""",
            tenant, tranches,
        )  # fmt: skip
    assert len(per_tranche) == AWARDS and {r["n"] for r in per_tranche} == {1}
