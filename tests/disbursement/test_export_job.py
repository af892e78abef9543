"""The export job (``disbursement.export_batch``): enqueued by approval in the same transaction,
it records the batch's own file once; the in-request download works before and after it; a run
after success only re-verifies the SHA-256; a batch cancelled before it ran is left alone."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

import asyncpg
import pytest

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle
from renshe.disbursement.bankfiles import EnvelopeMismatch
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.export_job import export_key
from renshe.disbursement.service import EXPORT_KIND, get_batch
from renshe.errors import Forbidden
from renshe.jobs import runner
from renshe.jobs.service import Job
from tests.disbursement.awards import district, make_ready, make_user

T = TypeVar("T")
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
ENPING = "440785"


async def _in(tenant: UUID, actor: audit.Actor, work: Callable[[], Awaitable[T]]) -> T:
    async with tenant_transaction(TenantContext.district(tenant, actor.user_id)):
        return await work()


async def _batch(admin_url: str, tenant: UUID) -> UUID:
    await make_ready(admin_url, tenant, 4, amount_fen=31_400)
    result = await build(BuildRequest(tenant, date(2026, 7, 1), "nightly", f"nightly:{uuid.uuid4()}"))
    return UUID(result.batches[0])


async def _job(tenant: UUID, batch_id: UUID) -> Job | None:
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            "SELECT * FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2", tenant, export_key(batch_id)
        )
    return None if row is None else Job.from_row(row)


async def _exports(tenant: UUID, batch_id: UUID) -> list[str]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            "SELECT action FROM audit_log WHERE tenant_id = $1 AND object_id = $2"
            " AND action IN ('disbursement.batch_exported', 'disbursement.file_downloaded') ORDER BY seq",
            tenant, str(batch_id),
        )  # fmt: skip
    return [r["action"] for r in rows]


async def test_approval_enqueues_the_export_and_the_job_records_the_file_once(admin_url: str) -> None:
    tenant = await district(ENPING)
    checker = await make_user(admin_url, tenant)
    batch_id = await _batch(admin_url, tenant)
    approved = await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch_id))
    assert approved.state == "approved"
    job = await _job(tenant, batch_id)
    assert job is not None and (job.kind, job.status) == (EXPORT_KIND, "queued")
    assert job.args == {"batch_id": str(batch_id), "approved_by": str(checker.user_id)}

    assert await runner.run(tenant, job.id) == "succeeded"
    async with tenant_transaction(TenantContext.district(tenant)):
        batch = await get_batch(tenant, batch_id)
    assert batch.state == "exported" and batch.file_sha256 is not None
    download = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch_id))
    assert download.sha256 == batch.file_sha256

    # a re-run after success re-verifies, changes nothing and audits nothing more
    again = await _in(tenant, checker, lambda: export.export_own_file(tenant, audit.SYSTEM, batch_id))
    assert (again.outcome, again.sha256) == ("verified", batch.file_sha256)
    assert await _exports(tenant, batch_id) == ["disbursement.batch_exported", "disbursement.file_downloaded"]


async def test_a_download_before_the_job_makes_the_job_a_verification(admin_url: str) -> None:
    tenant = await district(ENPING)
    checker = await make_user(admin_url, tenant)
    batch_id = await _batch(admin_url, tenant)
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch_id))
    first = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch_id))
    job = await _job(tenant, batch_id)
    assert job is not None
    assert await runner.run(tenant, job.id) == "succeeded"
    done = await _job(tenant, batch_id)
    async with tenant_transaction(TenantContext.district(tenant)):
        batch = await get_batch(tenant, batch_id)
    assert done is not None and done.result is not None and done.result["outcome"] == "verified"
    assert batch.file_sha256 == first.sha256
    assert (await _exports(tenant, batch_id)).count("disbursement.batch_exported") == 1


async def test_the_job_refuses_a_tampered_batch_and_skips_a_cancelled_one(admin_url: str) -> None:
    tenant = await district(ENPING)
    checker = await make_user(admin_url, tenant)
    tampered, cancelled = await _batch(admin_url, tenant), await _batch(admin_url, tenant)
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, tampered))
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, cancelled))
    await _in(tenant, checker, lambda: lifecycle.cancel(tenant, checker, cancelled, reason="wrong payer"))
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            "UPDATE payment_lines SET amount_fen = amount_fen + 1"
            " WHERE tenant_id = $1 AND batch_id = $2 AND seq = 1",
            tenant, tampered,
        )  # fmt: skip
    finally:
        await conn.close()
    with pytest.raises(EnvelopeMismatch):  # the envelope no longer adds up: no file, nothing recorded
        await _in(tenant, checker, lambda: export.export_own_file(tenant, checker, tampered))
    skipped = await _in(tenant, checker, lambda: export.export_own_file(tenant, checker, cancelled))
    assert skipped.outcome == "skipped"
    async with tenant_transaction(TenantContext.district(tenant)):
        states = [(await get_batch(tenant, b)).state for b in (tampered, cancelled)]
    assert states == ["approved", "cancelled"]


async def test_a_refused_approval_enqueues_nothing(admin_url: str) -> None:
    tenant = await district(ENPING)
    maker = await make_user(admin_url, tenant)
    await make_ready(admin_url, tenant, 1)
    result = await build(
        BuildRequest(tenant, date(2026, 7, 2), "manual", f"manual:{uuid.uuid4()}", created_by=maker.user_id)
    )
    batch_id = UUID(result.batches[0])
    with pytest.raises(Forbidden):
        await _in(tenant, maker, lambda: lifecycle.approve(tenant, maker, batch_id))
    assert await _job(tenant, batch_id) is None
