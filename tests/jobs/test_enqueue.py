"""Creating jobs: inside the caller's transaction, sent only after commit, once per key."""

from __future__ import annotations

import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import dispatcher, queue, service
from tests.jobs.support import key, load_job, messages_for, unit_id

pytestmark = pytest.mark.usefixtures("db")


class Boom(Exception):
    pass


async def test_rolled_back_enqueue_leaves_no_row_and_sends_nothing() -> None:
    tenant = await unit_id("440703")
    idem = key()
    with pytest.raises(Boom):
        async with tenant_transaction(TenantContext.district(tenant)):
            job = await service.enqueue("audit.verify_chain", tenant, {}, idem)
            raise Boom
    async with tenant_transaction(TenantContext.district(tenant)):
        count = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2", tenant, idem
        )
    assert count == 0
    assert await messages_for(job.id) == []


async def test_committed_enqueue_is_sent_once_by_actor_name() -> None:
    tenant = await unit_id("440703")
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue("audit.verify_chain", tenant, {"x": 1}, key())
        # not yet: the message waits for the commit
        assert await messages_for(job.id) == []
    messages = await messages_for(job.id)
    assert len(messages) == 1
    assert messages[0]["actor_name"] == "audit.verify_chain"
    assert messages[0]["queue_name"] == "default"
    assert messages[0]["args"] == [str(tenant), str(job.id)]
    stored = await load_job(tenant, job.id)
    assert stored.status == "queued"
    assert stored.args == {"x": 1}
    assert stored.max_attempts == 3  # from the kind


async def test_same_key_twice_is_one_job_sent_once() -> None:
    tenant = await unit_id("440704")
    idem = key()
    async with tenant_transaction(TenantContext.district(tenant)):
        first = await service.enqueue("audit.verify_chain", tenant, {}, idem)
    async with tenant_transaction(TenantContext.district(tenant)):
        second, created = await service.submit("audit.verify_chain", tenant, {}, idem)
    assert second.id == first.id
    assert created is False
    async with tenant_transaction(TenantContext.district(tenant)):
        count = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2", tenant, idem
        )
    assert count == 1
    assert len(await messages_for(first.id)) == 1


async def test_same_key_in_two_districts_is_two_jobs() -> None:
    idem = key()
    ids = []
    for code in ("440703", "440704"):
        tenant = await unit_id(code)
        async with tenant_transaction(TenantContext.district(tenant)):
            ids.append((await service.enqueue("audit.verify_chain", tenant, {}, idem)).id)
    assert ids[0] != ids[1]


async def test_unknown_kind_is_refused() -> None:
    tenant = await unit_id("440703")
    with pytest.raises(LookupError):
        async with tenant_transaction(TenantContext.district(tenant)):
            await service.enqueue("nothing.here", tenant, {}, key())


async def test_send_failure_after_commit_keeps_the_job_for_the_dispatcher(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis unreachable at send time: the request still succeeds, the row stays queued, and the
    dispatcher sweep sends it once Redis answers again."""
    tenant = await unit_id("440705")

    def unreachable(*args: object) -> None:
        raise ConnectionError("redis is down")

    with monkeypatch.context() as m:
        m.setattr(queue, "send_now", unreachable)
        async with tenant_transaction(TenantContext.district(tenant)):
            job = await service.enqueue("audit.verify_chain", tenant, {}, key())
    assert await messages_for(job.id) == []
    assert (await load_job(tenant, job.id)).status == "queued"

    # Not yet stale: a sweep leaves a just-enqueued job alone (its message may be on its way).
    resent = await dispatcher.sweep(stale_seconds=3600)
    assert job.id not in {r.job_id for r in resent}

    resent = await dispatcher.sweep(stale_seconds=0)
    assert [r.sent for r in resent if r.job_id == job.id] == [True]
    assert len(await messages_for(job.id)) == 1
