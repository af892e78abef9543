"""Nightly order: the build job of business date D first closes the notices over by D, so an award
whose public notice ended in time is in that night's batch even if the build runs before (or
without) the ``subsidies.close_notices`` job."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from uuid import UUID

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.service import KIND
from renshe.jobs import runner
from renshe.jobs import service as jobs
from tests.disbursement.awards import district, live_lines_per_award, make_ready, states

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
TAISHAN = "440781"
D = date(2026, 6, 16)


async def _in_notice(admin_url: str, tenant: UUID, ready_on: date) -> UUID:
    """One award in public notice whose window ends the day before ``ready_on``."""
    (app,) = await make_ready(admin_url, tenant, 1, amount_fen=66_600, ready_on=ready_on, state="in_notice")
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            """UPDATE applications SET state = 'in_notice', notice_starts_on = $3::date - 5,
                      notice_ends_on = $3::date - 1, ready_on = $3
               WHERE tenant_id = $1 AND id = $2""",
            tenant, app, ready_on,
        )  # fmt: skip
    finally:
        await conn.close()
    return app


async def test_the_build_job_alone_closes_the_notices_of_its_date_first(admin_url: str) -> None:
    tenant = await district(TAISHAN)
    over = await _in_notice(admin_url, tenant, D + timedelta(days=1))  # the window's last day is D
    not_yet = await _in_notice(admin_url, tenant, D + timedelta(days=2))  # its last day is D + 1
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await jobs.enqueue(
            KIND,
            tenant,
            {"business_date": D.isoformat()},
            f"nightly:{KIND}:{D}:{uuid.uuid4()}",
            business_date=D,
        )
    assert await runner.run(tenant, job.id) == "succeeded"  # no subsidies.close_notices job ran

    assert await live_lines_per_award(tenant, [over, not_yet]) == {over: 1, not_yet: 0}
    assert await states(tenant, [over]) == {"in_batch": 1}
    assert await states(tenant, [not_yet]) == {"in_notice": 1}
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        done = await jobs.get(tenant, job.id)
        batch_date = await conn.fetchval(
            """SELECT b.business_date FROM payment_lines l JOIN disbursement_batches b
                 ON b.tenant_id = l.tenant_id AND b.id = l.batch_id
               WHERE l.tenant_id = $1 AND l.application_id = $2""",
            tenant, over,
        )  # fmt: skip
        timeline = await conn.fetch(
            "SELECT to_state FROM application_events WHERE tenant_id = $1 AND application_id = $2"
            " ORDER BY at, id",
            tenant, over,
        )  # fmt: skip
    assert batch_date == D
    assert done.result is not None and done.result["notices_closed"] >= 1
    assert [e["to_state"] for e in timeline][-2:] == ["ready", "in_batch"]  # the notice closed, then batched
