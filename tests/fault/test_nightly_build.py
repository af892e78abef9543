"""Two nightly fan-outs of one business date firing at once (two scheduler replicas), and the
build job's message delivered twice at once: one build job per district, one set of batches,
every award in exactly one live line. (That each nightly kind gets one job per unit however the
fan-outs race is ``tests/jobs/test_nightly.py``; this adds what the build makes of it.)"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import KIND
from renshe.jobs import nightly, runner
from renshe.jobs import service as jobs
from tests.disbursement.awards import district, live_lines_per_award, make_ready, states
from tests.jobs.support import load_job

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]
XINHUI = "440705"
DAY = date(2026, 4, 3)
AWARDS = 400


async def test_two_fan_outs_of_one_night_build_one_set_of_batches(admin_url: str) -> None:
    tenant = await district(XINHUI)
    apps = await make_ready(admin_url, tenant, AWARDS, amount_fen=54_321, ready_on=DAY)

    first, second = await asyncio.gather(nightly.fan_out(DAY, XINHUI), nightly.fan_out(DAY, XINHUI))
    builds = [p for p in (*first, *second) if p.kind == KIND]
    assert len({p.job_id for p in builds}) == 1 and sum(p.created for p in builds) == 1
    job_id = builds[0].job_id
    async with tenant_transaction(TenantContext.district(tenant)):  # no worker here: the rest waits
        for p in first:
            if p.kind != KIND:
                await jobs.cancel(tenant, p.job_id)

    # both messages delivered at once, and a "nightly" build of the same date run by hand meanwhile
    outcomes = await asyncio.gather(
        runner.run(tenant, job_id, worker="replica-a"),
        runner.run(tenant, job_id, worker="replica-b"),
        build(BuildRequest(tenant, DAY, "nightly", f"nightly:{DAY.isoformat()}", chunk_lines=50)),
    )
    assert sorted(str(o) for o in outcomes[:2]) == ["None", "succeeded"]  # one claim ran it
    done = await load_job(tenant, job_id)
    assert (done.status, done.attempts) == ("succeeded", 1)

    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}
    assert await states(tenant, apps) == {"in_batch": AWARDS}
    async with tenant_transaction(TenantContext.district(tenant)):
        batches = await current_transaction().connection.fetch(
            """SELECT b.build_key, b.state, b.declared_count, b.declared_total_fen,
                      count(l.id) AS n, coalesce(sum(l.amount_fen), 0) AS total
               FROM disbursement_batches b
               LEFT JOIN payment_lines l ON l.tenant_id = b.tenant_id AND l.batch_id = b.id
               WHERE b.tenant_id = $1 AND b.business_date = $2 AND b.origin = 'nightly'
               GROUP BY b.tenant_id, b.id ORDER BY b.part""",
            tenant,
            DAY,
        )
    keys = [b["build_key"] for b in batches]
    assert len(keys) == len(set(keys)) >= 1  # one batch per part, not one per builder
    assert all(k.startswith(f"nightly:{DAY.isoformat()}:") for k in keys)
    for b in batches:
        assert b["state"] == "built"
        assert (b["declared_count"], b["declared_total_fen"]) == (b["n"], b["total"])

    # a third fan-out the next morning (catch-up) changes nothing
    third = await nightly.fan_out(DAY, XINHUI)
    assert not any(p.created for p in third)
