"""Approving and cancelling a batch under the conditions mutation testing found untested
(docs/testing.md, "Mutation testing"): a stale version, a change in flight by another transaction
(the row lock), the message a refusal gives, and what a cancel writes on the awards' timelines and
in the audit log."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import asyncpg
import pytest

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement import lifecycle
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import Batch, get_batch
from renshe.errors import Conflict, Forbidden
from tests.disbursement.awards import district, live_lines_per_award, make_ready, make_user, states

pytestmark = pytest.mark.usefixtures("db")
KAIPING = "440783"
STALE = "This batch was changed by someone else meanwhile: reload it and try again."
NOT_CANCELLABLE = "Only a batch that is built or approved (not yet exported) can be cancelled."
NOT_APPROVABLE = "Only a built batch awaiting approval can be approved."
MAKER_CHECKER = "You asked for this batch, so someone else in finance must approve it."


async def _batch(admin_url: str) -> tuple[uuid.UUID, Batch, list[uuid.UUID]]:
    tenant = await district(KAIPING)
    apps = await make_ready(admin_url, tenant, 2, amount_fen=150_000)
    result = await build(BuildRequest(tenant, date(2026, 4, 1), "nightly", f"nightly:{uuid.uuid4()}"))
    assert len(result.batches) == 1
    async with tenant_transaction(TenantContext.district(tenant)):
        batch = await get_batch(tenant, uuid.UUID(result.batches[0]))
    return tenant, batch, apps


async def _cancel(tenant: uuid.UUID, who: audit.Actor, batch_id: uuid.UUID, **kwargs: object) -> Batch:
    async with tenant_transaction(TenantContext.district(tenant, who.user_id)):
        return await lifecycle.cancel(tenant, who, batch_id, **kwargs)  # type: ignore[arg-type]


async def _approve(tenant: uuid.UUID, who: audit.Actor, batch_id: uuid.UUID) -> Batch:
    async with tenant_transaction(TenantContext.district(tenant, who.user_id)):
        return await lifecycle.approve(tenant, who, batch_id)


async def _current(tenant: uuid.UUID, batch_id: uuid.UUID) -> Batch:
    async with tenant_transaction(TenantContext.district(tenant)):
        return await get_batch(tenant, batch_id)


async def _assert_untouched(tenant: uuid.UUID, batch: Batch, apps: list[uuid.UUID], state: str) -> None:
    assert (await _current(tenant, batch.id)).state == state
    assert await states(tenant, apps) == {"in_batch": len(apps)}
    assert set((await live_lines_per_award(tenant, apps)).values()) == {1}


async def test_a_stale_version_is_refused_and_nothing_is_released(admin_url: str) -> None:
    tenant, batch, apps = await _batch(admin_url)
    finance = await make_user(admin_url, tenant)
    with pytest.raises(Conflict) as refused:
        await _cancel(tenant, finance, batch.id, version=batch.version + 1)
    assert refused.value.message == STALE
    await _assert_untouched(tenant, batch, apps, "built")


async def _until_a_backend_waits_for_a_lock(conn: asyncpg.Connection) -> None:
    """Poll (bounded) until some session of this database waits for a lock."""
    for _ in range(800):
        waiting = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.025)
    pytest.fail("the cancel never waited for the transaction holding the batch")


async def test_cancel_waits_for_a_change_in_flight_and_then_sees_it(admin_url: str) -> None:
    """Another transaction approves the batch and has not committed yet: the cancel (holding
    the version it read before) must wait for it, then refuse, not cancel an approved batch
    over it from a stale read."""
    tenant, batch, apps = await _batch(admin_url)
    finance, approver = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    holder = await asyncpg.connect(admin_url)
    try:
        in_flight = holder.transaction()
        await in_flight.start()
        await holder.execute(
            """UPDATE disbursement_batches SET state = 'approved', approved_by = $2, approved_at = now(),
                      version = version + 1 WHERE id = $1""",
            batch.id,
            approver.user_id,
        )
        cancelling = asyncio.create_task(_cancel(tenant, finance, batch.id, version=batch.version))
        await _until_a_backend_waits_for_a_lock(holder)
        await in_flight.commit()
        with pytest.raises(Conflict) as refused:
            await cancelling
        assert refused.value.message == STALE
    finally:
        await holder.close()
    await _assert_untouched(tenant, batch, apps, "approved")


async def test_a_refused_cancel_says_why(admin_url: str) -> None:
    tenant, batch, _apps = await _batch(admin_url)
    finance = await make_user(admin_url, tenant)
    await _cancel(tenant, finance, batch.id)
    with pytest.raises(Conflict) as refused:
        await _cancel(tenant, finance, batch.id)
    assert refused.value.message == NOT_CANCELLABLE


async def _records(admin_url: str, batch_id: uuid.UUID, apps: list[uuid.UUID]) -> tuple[list, list]:
    conn = await asyncpg.connect(admin_url)
    try:
        events = await conn.fetch(
            # every event after the build's (ready → in_batch): the cancel's
            "SELECT application_id, actor_user_id, from_state, to_state, comment FROM application_events"
            " WHERE application_id = ANY($1::uuid[]) AND to_state IS DISTINCT FROM 'in_batch'",
            apps,
        )
        audited = await conn.fetch(
            "SELECT action, actor_username, object_type, before::text, after::text FROM audit_log"
            " WHERE object_id = $1 ORDER BY seq",
            str(batch_id),
        )
    finally:
        await conn.close()
    return [dict(e) for e in events], [dict(a) for a in audited]


async def test_a_cancel_is_on_every_awards_timeline_and_in_the_audit_log(admin_url: str) -> None:
    tenant, batch, apps = await _batch(admin_url)
    finance = await make_user(admin_url, tenant)
    await _cancel(tenant, finance, batch.id, reason="开户行信息有误")
    events, audited = await _records(admin_url, batch.id, apps)
    assert sorted(events, key=lambda e: str(e["application_id"])) == [
        {"application_id": a, "actor_user_id": finance.user_id, "from_state": "in_batch",
         "to_state": "ready", "comment": "开户行信息有误"}
        for a in sorted(apps, key=str)
    ]  # fmt: skip
    cancelled = [a for a in audited if a["action"] == "disbursement.batch_cancelled"]
    assert len(cancelled) == 1
    assert cancelled[0]["actor_username"] == finance.username
    assert cancelled[0]["object_type"] == "disbursement_batch"
    assert json.loads(cancelled[0]["before"]) == {"state": "built"}
    # the build took every ready award of the district: earlier tests may have left some
    after = {"state": "cancelled", "released": batch.declared_count, "reason": "开户行信息有误"}
    assert batch.declared_count is not None and batch.declared_count >= len(apps)
    assert json.loads(cancelled[0]["after"]) == after


async def test_a_cancel_without_a_reason_writes_none(admin_url: str) -> None:
    tenant, batch, apps = await _batch(admin_url)
    finance = await make_user(admin_url, tenant)
    await _cancel(tenant, finance, batch.id)
    events, audited = await _records(admin_url, batch.id, apps)
    assert [e["comment"] for e in events] == [None, None]
    [cancelled] = [a for a in audited if a["action"] == "disbursement.batch_cancelled"]
    assert json.loads(cancelled["after"])["reason"] == ""


async def test_approve_waits_for_a_cancel_in_flight_and_then_refuses(admin_url: str) -> None:
    """A cancel not yet committed holds the batch: the approval must wait and then see a cancelled
    batch, not approve it over the cancel from a stale read (its awards are already released)."""
    tenant, batch, _apps = await _batch(admin_url)
    approver = await make_user(admin_url, tenant)
    holder = await asyncpg.connect(admin_url)
    try:
        in_flight = holder.transaction()
        await in_flight.start()
        await holder.execute(
            "UPDATE disbursement_batches SET state = 'cancelled', version = version + 1 WHERE id = $1",
            batch.id,
        )
        approving = asyncio.create_task(_approve(tenant, approver, batch.id))
        await _until_a_backend_waits_for_a_lock(holder)
        await in_flight.commit()
        with pytest.raises(Conflict) as refused:
            await approving
        assert refused.value.message == NOT_APPROVABLE
    finally:
        await holder.close()
    assert (await _current(tenant, batch.id)).state == "cancelled"


async def test_a_refused_approval_says_why(admin_url: str) -> None:
    tenant = await district(KAIPING)
    maker, checker = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    await make_ready(admin_url, tenant, 1)
    result = await build(
        BuildRequest(tenant, date(2026, 4, 2), "manual", f"manual:{uuid.uuid4()}", created_by=maker.user_id)
    )
    batch_id = uuid.UUID(result.batches[0])
    with pytest.raises(Forbidden) as own:
        await _approve(tenant, maker, batch_id)
    assert own.value.message == MAKER_CHECKER
    await _approve(tenant, checker, batch_id)
    with pytest.raises(Conflict) as twice:
        await _approve(tenant, checker, batch_id)
    assert twice.value.message == NOT_APPROVABLE


async def test_an_approval_is_audited_and_its_export_runs_for_the_approver(admin_url: str) -> None:
    tenant, batch, apps = await _batch(admin_url)
    checker = await make_user(admin_url, tenant)
    await _approve(tenant, checker, batch.id)
    _events, audited = await _records(admin_url, batch.id, apps)
    approved = [a for a in audited if a["action"] == "disbursement.batch_approved"]
    assert len(approved) == 1
    assert approved[0]["actor_username"] == checker.username
    assert approved[0]["object_type"] == "disbursement_batch"
    assert json.loads(approved[0]["before"]) == {"state": "built"}
    assert json.loads(approved[0]["after"]) == {"state": "approved"}
    conn = await asyncpg.connect(admin_url)
    try:
        export = await conn.fetchrow(
            "SELECT requested_by, args->>'approved_by' AS approved_by FROM jobs"
            " WHERE kind = 'disbursement.export_batch' AND args->>'batch_id' = $1",
            str(batch.id),
        )
    finally:
        await conn.close()
    # the export job writes the bank file on behalf of the approving officer (its audit says so)
    assert (export["requested_by"], export["approved_by"]) == (checker.user_id, str(checker.user_id))
