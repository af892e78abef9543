"""Races on the money path, run for real: separate pooled connections, each in its own tenant
transaction, held at a barrier until all of them are open, then let go together; a few rounds.

* two bank return files for one batch at once: exactly one applies, nothing is paid twice;
* approve racing cancel: exactly one wins, and the batch, its lines, its awards and the export
  job agree with the winner;
* "build now" racing the nightly build (and a second nightly run): no award in two live lines,
  no batch twice, every batch's envelope equal to its lines.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

import pytest

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import EXPORT_KIND, get_batch
from renshe.errors import Conflict
from tests.disbursement.awards import (
    batches_with_lines,
    district,
    live_lines_per_award,
    make_ready,
    make_user,
    states,
)

T = TypeVar("T")
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
ENPING = "440785"
ROUNDS = 3
AMOUNT = 35_000


async def together(
    tenant: UUID, actors: list[audit.Actor], works: list[Callable[[], Awaitable[T]]]
) -> list[T | BaseException]:
    """Run each work in its own tenant transaction (its own connection), all started before any
    goes on: each opens its transaction, touches the database, and waits at the barrier."""
    barrier = asyncio.Barrier(len(works))

    async def one(actor: audit.Actor, work: Callable[[], Awaitable[T]]) -> T:
        async with tenant_transaction(TenantContext.district(tenant, actor.user_id)):
            await current_transaction().connection.execute("SELECT 1")  # the connection is held
            await barrier.wait()
            return await work()

    return await asyncio.gather(
        *(one(a, w) for a, w in zip(actors, works, strict=True)), return_exceptions=True
    )


async def _budget(tenant: UUID) -> tuple[int, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            "SELECT sum(reserved_fen) AS r, sum(paid_fen) AS p FROM budgets WHERE tenant_id = $1", tenant
        )
    return int(row["r"]), int(row["p"])


async def _events(tenant: UUID, apps: list[UUID], to_state: str) -> dict[UUID, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            """SELECT a, (SELECT count(*) FROM application_events e WHERE e.tenant_id = $1
                          AND e.application_id = a AND e.to_state = $3) AS n
               FROM unnest($2::uuid[]) a""",
            tenant, apps, to_state,
        )  # fmt: skip
    return {r["a"]: r["n"] for r in rows}


async def _built(admin_url: str, tenant: UUID, n: int, on: date) -> tuple[UUID, list[UUID]]:
    apps = await make_ready(admin_url, tenant, n, amount_fen=AMOUNT)
    result = await build(BuildRequest(tenant, on, "nightly", f"nightly:{uuid.uuid4()}"))
    (batch_id,) = (UUID(b) for b in result.batches)
    return batch_id, apps


async def _exported(admin_url: str, tenant: UUID, n: int, on: date) -> tuple[UUID, list[UUID], list[str]]:
    batch_id, apps = await _built(admin_url, tenant, n, on)
    checker = await make_user(admin_url, tenant)
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        await lifecycle.approve(tenant, checker, batch_id)
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        await export.export_batch(tenant, checker, batch_id)
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    # the build takes every ready award of the district: an award another test left ready (one of
    # a batch it cancelled, say) rides along, so the batch's own lines say which awards it pays
    assert set(apps) <= {line["application_id"] for line in lines}
    return batch_id, [line["application_id"] for line in lines], [str(line["reference"]) for line in lines]


async def _total(tenant: UUID, batch_id: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        total = await current_transaction().connection.fetchval(
            "SELECT sum(amount_fen) FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2",
            tenant, batch_id,
        )  # fmt: skip
    return int(total)


def _return_file(refs: list[str], status: str, reason: str = "") -> bytes:
    return ("reference,status,reason\n" + "".join(f"{r},{status},{reason}\n" for r in refs)).encode()


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_two_return_files_for_one_batch_at_once_apply_exactly_once(admin_url: str, round_: int) -> None:
    tenant = await district(ENPING)
    batch_id, apps, refs = await _exported(admin_url, tenant, 6, date(2026, 8, 1 + round_))
    n, total = len(apps), await _total(tenant, batch_id)
    a, b = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    reserved, paid = await _budget(tenant)

    # two different files (the bank sent a corrected copy): one pays all, the other fails all
    files = [_return_file(refs, "成功"), _return_file(list(reversed(refs)), "失败", "户名不符")]
    outcomes = await together(tenant, [a, b], [
        lambda: reconcile.upload_return(tenant, a, batch_id, "first.csv", files[0]),
        lambda: reconcile.upload_return(tenant, b, batch_id, "second.csv", files[1]),
    ])  # fmt: skip
    results = [o for o in outcomes if isinstance(o, reconcile.Reconciliation)]
    assert len(results) == 2, outcomes
    assert sorted(r.applied for r in results) == [0, n]  # one applied everything, the other nothing
    winner = next(r for r in results if r.applied)
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    if winner.paid:
        assert {line["state"] for line in lines} == {"paid"}
        assert await states(tenant, apps) == {"paid": n}
        assert await _budget(tenant) == (reserved - total, paid + total)
        assert await _events(tenant, apps, "paid") == {x: 1 for x in apps}
    else:
        assert {line["state"] for line in lines} == {"failed"}
        assert await states(tenant, apps) == {"payment_failed": n}
        assert await _budget(tenant) == (reserved, paid)
        assert await _events(tenant, apps, "payment_failed") == {x: 1 for x in apps}
    async with tenant_transaction(TenantContext.district(tenant)):
        assert (await get_batch(tenant, batch_id)).state == "reconciled"

    # and the very same file twice at once: recorded once, the other recognised
    batch_id, apps, refs = await _exported(admin_url, tenant, 6, date(2026, 8, 11 + round_))
    n, total = len(apps), await _total(tenant, batch_id)
    reserved, paid = await _budget(tenant)
    same = _return_file(refs, "成功")
    outcomes = await together(tenant, [a, b], [
        lambda: reconcile.upload_return(tenant, a, batch_id, "r.csv", same),
        lambda: reconcile.upload_return(tenant, b, batch_id, "r.csv", same),
    ])  # fmt: skip
    results = [o for o in outcomes if isinstance(o, reconcile.Reconciliation)]
    assert len(results) == 2, outcomes
    assert sorted((r.already_uploaded, r.paid) for r in results) == [(False, n), (True, 0)]
    assert await states(tenant, apps) == {"paid": n}
    assert await _budget(tenant) == (reserved - total, paid + total)
    assert await _events(tenant, apps, "paid") == {x: 1 for x in apps}


async def _export_jobs(tenant: UUID, batch_id: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        count: int = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND kind = $2 AND args->>'batch_id' = $3",
            tenant, EXPORT_KIND, str(batch_id),
        )  # fmt: skip
    return count


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_approve_racing_cancel_has_one_winner_and_a_consistent_batch(
    admin_url: str, round_: int
) -> None:
    tenant = await district(ENPING)
    n = 4
    batch_id, apps = await _built(admin_url, tenant, n, date(2026, 8, 21 + round_))
    approver, canceller = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    async with tenant_transaction(TenantContext.district(tenant)):
        version = (await get_batch(tenant, batch_id)).version

    outcomes = await together(tenant, [approver, canceller], [
        lambda: lifecycle.approve(tenant, approver, batch_id, version),
        lambda: lifecycle.cancel(tenant, canceller, batch_id, version, reason="race"),
    ])  # fmt: skip
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict), lost[0]  # the loser is told, not half-applied
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    async with tenant_transaction(TenantContext.district(tenant)):
        final = await get_batch(tenant, batch_id)
    assert final.state == won[0].state
    if final.state == "approved":
        assert final.approved_by == approver.user_id
        assert {line["state"] for line in lines} == {"pending"}
        assert await states(tenant, apps) == {"in_batch": n}
        assert await _export_jobs(tenant, batch_id) == 1
    else:
        assert final.state == "cancelled" and final.approved_by is None
        assert {line["state"] for line in lines} == {"cancelled"}
        assert await states(tenant, apps) == {"ready": n}
        assert await live_lines_per_award(tenant, apps) == {x: 0 for x in apps}
        assert await _export_jobs(tenant, batch_id) == 0


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_build_now_racing_the_nightly_build_puts_each_award_in_one_line(
    admin_url: str, round_: int
) -> None:
    tenant = await district(ENPING)
    n = 90
    day = date(2026, 9, 1 + round_)
    apps = await make_ready(admin_url, tenant, n, amount_fen=AMOUNT)
    maker = await make_user(admin_url, tenant)
    nightly_key = f"nightly:{day.isoformat()}:{uuid.uuid4().hex[:6]}"
    requests = [
        BuildRequest(
            tenant, day, "manual", f"manual:{uuid.uuid4()}", created_by=maker.user_id, chunk_lines=7
        ),
        BuildRequest(tenant, day, "nightly", nightly_key, chunk_lines=11),
        BuildRequest(tenant, day, "nightly", nightly_key, chunk_lines=11),  # the scheduler twice
    ]
    barrier = asyncio.Barrier(len(requests))

    async def start(request: BuildRequest) -> object:
        await barrier.wait()  # build opens its own short transactions: let them go together
        return await build(request)

    outcomes = await asyncio.gather(*(start(r) for r in requests), return_exceptions=True)
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes

    assert await live_lines_per_award(tenant, apps) == {x: 1 for x in apps}
    assert await states(tenant, apps) == {"in_batch": n}
    async with tenant_transaction(TenantContext.district(tenant)):
        batches = await current_transaction().connection.fetch(
            """SELECT b.id, b.build_key, b.state, b.declared_count, b.declared_total_fen,
                      count(l.id) FILTER (WHERE l.state <> 'cancelled') AS lines,
                      coalesce(sum(l.amount_fen) FILTER (WHERE l.state <> 'cancelled'), 0) AS total
               FROM disbursement_batches b
               LEFT JOIN payment_lines l ON l.tenant_id = b.tenant_id AND l.batch_id = b.id
               WHERE b.tenant_id = $1 AND b.business_date = $2
               GROUP BY b.tenant_id, b.id""",
            tenant, day,
        )  # fmt: skip
        lines_of_apps = await current_transaction().connection.fetchval(
            """SELECT count(*) FROM payment_lines WHERE tenant_id = $1 AND application_id = ANY($2::uuid[])
               AND state <> 'cancelled'""",
            tenant, apps,
        )  # fmt: skip
    assert lines_of_apps == n
    nightly = [b for b in batches if b["build_key"].startswith(nightly_key)]
    # the two nightly runs made one set of parts (each run may open a part of its own while the
    # other fills one: one batch per part, numbered without gaps, never one key twice)
    parts = sorted(int(b["build_key"].rsplit(":", 1)[1]) for b in nightly)
    assert parts == list(range(1, len(parts) + 1)), parts
    for b in batches:
        assert b["state"] in ("built", "cancelled"), dict(b)
        if b["state"] == "built":
            assert (b["declared_count"], b["declared_total_fen"]) == (b["lines"], b["total"]), dict(b)
            assert b["lines"] > 0
