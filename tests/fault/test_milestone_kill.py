"""A real ``renshe worker`` running the nightly milestone job (``hkmo.milestones``) SIGKILLed in the
middle of it — after its UPDATE moved the tranches falling due, before its transaction committed —
several times over, then left to finish: every tranche falling due moved once (its version bumped
once), none of the years of history touched, one audit record naming them all.

How the kill is aimed (as in ``test_issue_kill``): the test holds the district's audit-chain lock;
the job moves the tranches and then waits for that lock to write its audit record, inside the same
transaction; the test sees it waiting in ``pg_stat_activity`` and kills the worker there."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest

from renshe import clock
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.hkmo.tasks import MILESTONES
from renshe.jobs import dispatcher
from renshe.jobs import service as jobs
from tests.disbursement.awards import district
from tests.fault.test_issue_kill import _waiting_on_a_lock
from tests.fault.workers import STALE_SECONDS, Worker, start_worker, wait_for
from tests.hkmo.bulk import tranche_history
from tests.jobs.support import load_job

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]
HESHAN = "440784"
KILLS = 3
FALLING_DUE = 2_000


async def _tranches(tenant: UUID) -> dict[str, list[tuple[UUID, int]]]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            "SELECT id, state, version FROM hkmo_tranches WHERE tenant_id = $1 ORDER BY id", tenant
        )
    out: dict[str, list[tuple[UUID, int]]] = {}
    for r in rows:
        out.setdefault(r["state"], []).append((r["id"], r["version"]))
    return out


async def test_the_milestone_run_killed_mid_transaction_moves_each_tranche_once(
    workers: list[Worker], tmp_path: Path, admin_url: str
) -> None:
    tenant = await district(HESHAN)
    business_date = clock.today()
    morning = business_date + timedelta(days=1)
    due = await tranche_history(admin_url, tenant, grants=1_000, per_grant=6, falling_due=FALLING_DUE,
                                morning=morning)  # fmt: skip
    before = await _tranches(tenant)
    holder = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        async with tenant_transaction(TenantContext.district(tenant)):
            job = await jobs.enqueue(MILESTONES, tenant, {"business_date": business_date.isoformat()},
                                     f"manual:{uuid.uuid4()}", business_date=business_date)  # fmt: skip
        for kills in range(1, KILLS + 1):
            async with holder.transaction():
                # the lock first: the run takes a second, it must not finish before it is aimed at
                await holder.execute(
                    "SELECT pg_advisory_xact_lock(hashtextextended('audit:' || $1::uuid::text, 0))", tenant
                )
                worker = await start_worker(workers, tmp_path)

                async def stuck() -> bool:
                    await dispatcher.sweep(stale_seconds=STALE_SECONDS)  # the killed attempt, sent again
                    return await _waiting_on_a_lock(holder)

                await wait_for(stuck, 90, "the milestone run to move the tranches and wait")
                worker.kill()  # its UPDATE dies with it
                assert (await load_job(tenant, job.id)).attempts == kills
            assert await _tranches(tenant) == before, "a killed run left tranches moved"
        worker = await start_worker(workers, tmp_path)
    finally:
        await holder.close()

    async def finished() -> bool:
        await dispatcher.sweep(stale_seconds=STALE_SECONDS)
        return (await load_job(tenant, job.id)).status in ("succeeded", "failed")

    await wait_for(finished, 120, "the milestone run to finish")
    done = await load_job(tenant, job.id)
    assert done.status == "succeeded", worker.log[-4000:]
    assert done.attempts == KILLS + 1
    assert done.result is not None and done.result["fell_due"] == FALLING_DUE

    after = await _tranches(tenant)
    assert sorted(i for i, _ in after["due"]) == sorted(due)
    assert {v for _, v in after["due"]} == {2}  # moved exactly once, by the run that committed
    assert sorted(after["cancelled"]) == sorted(before["cancelled"])  # history untouched
    assert len(after["planned"]) == len(before["planned"]) - FALLING_DUE
    async with tenant_transaction(TenantContext.district(tenant)):
        records = await current_transaction().connection.fetch(
            "SELECT after FROM audit_log WHERE tenant_id = $1 AND action = 'hkmo_tranches.fell_due'", tenant
        )
    assert len(records) == 1 and '"count": 2000' in records[0]["after"]
