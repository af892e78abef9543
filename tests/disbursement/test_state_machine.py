"""Money sent to the bank stays sent: the service refuses to cancel an exported or reconciled
batch, and so does the database (0013_state_machines.sql) when the service is bypassed — raw
SQL as the application role inside a tenant transaction, and as the schema owner. Every step of
the batch, payment-line and award state machines is tried on real rows: the allowed ones are
taken, every other one is refused."""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import get_batch
from renshe.errors import Conflict
from renshe.settings import Settings
from tests.disbursement.awards import batches_with_lines, district, make_ready, make_user, states

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
ENPING = "440785"

# The machines as the services walk them (renshe.disbursement.service, .subsidies.applications):
# written out here independently of the migration, so a loosened edge there fails this test.
BATCH = {
    ("building", "built"), ("building", "cancelled"), ("built", "approved"), ("built", "cancelled"),
    ("approved", "exported"), ("approved", "cancelled"), ("exported", "reconciled"),
    ("reconciled", "closed"),
}  # fmt: skip
LINE = {("pending", "paid"), ("pending", "failed"), ("pending", "cancelled")}
UNSENT = {("pending", "cancelled")}  # the only step of a line whose batch the bank has not received
AWARD = {
    ("draft", "submitted"), ("draft", "withdrawn"), ("submitted", "approved"), ("submitted", "rejected"),
    ("submitted", "withdrawn"), ("approved", "in_notice"), ("in_notice", "ready"), ("in_notice", "on_hold"),
    ("on_hold", "ready"), ("on_hold", "in_notice"), ("on_hold", "rejected"), ("ready", "on_hold"),
    ("ready", "in_batch"), ("in_batch", "ready"), ("in_batch", "paid"), ("in_batch", "payment_failed"),
    ("payment_failed", "ready"),
}  # fmt: skip
BATCH_STATES = ("building", "built", "approved", "exported", "reconciled", "closed", "cancelled")
LINE_STATES = ("pending", "paid", "failed", "cancelled")
AWARD_STATES = (
    "draft", "submitted", "approved", "rejected", "in_notice", "on_hold",
    "ready", "in_batch", "paid", "payment_failed", "withdrawn",
)  # fmt: skip


def _path(edges: set[tuple[str, str]], start: str, goal: str) -> list[str] | None:
    """The states after ``start`` on a shortest allowed walk to ``goal`` (None: unreachable)."""
    seen, queue = {start: [start]}, deque([start])
    while queue:
        here = queue.popleft()
        for a, b in sorted(edges):
            if a == here and b not in seen:
                seen[b] = [*seen[here], b]
                queue.append(b)
    return seen[goal][1:] if goal in seen else None


@pytest_asyncio.fixture(loop_scope="session")
async def owner(settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    """The schema owner's own login (who runs migrations): not superuser, under forced RLS."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.role_url(settings, "owner")))
    yield conn
    await conn.close()


async def _as_district(conn: asyncpg.Connection, tenant: UUID) -> None:
    await conn.execute(
        "SELECT set_config('app.tenant_ids', $1, true), set_config('app.write_tenant_ids', $1, true)",
        str(tenant),
    )


async def _sent_batch(admin_url: str, tenant: UUID, on: date) -> tuple[UUID, list[UUID], list[str]]:
    """A batch approved and exported (its file went to the bank): id, awards, line references."""
    apps = await make_ready(admin_url, tenant, 2, amount_fen=40_000)
    built = await build(BuildRequest(tenant, on, "nightly", f"nightly:{uuid.uuid4()}"))
    (batch_id,) = (UUID(b) for b in built.batches)
    checker = await make_user(admin_url, tenant)
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        await lifecycle.approve(tenant, checker, batch_id)
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        await export.export_batch(tenant, checker, batch_id)
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    return batch_id, apps, [str(line["reference"]) for line in lines]


async def _reconcile_all(admin_url: str, tenant: UUID, batch_id: UUID, refs: list[str]) -> None:
    checker = await make_user(admin_url, tenant)
    content = ("reference,status,reason\n" + "".join(f"{r},成功,\n" for r in refs)).encode()
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        done = await reconcile.upload_return(tenant, checker, batch_id, "return.csv", content)
    assert done.batch_state == "reconciled"


async def _snapshot(tenant: UUID, batch_id: UUID) -> tuple[str, list[str]]:
    async with tenant_transaction(TenantContext.district(tenant)):
        batch = await get_batch(tenant, batch_id)
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    return batch.state, sorted(str(line["state"]) for line in lines)


async def test_a_batch_sent_to_the_bank_cannot_be_cancelled_by_the_service_nor_in_sql(
    admin_url: str, owner: asyncpg.Connection
) -> None:
    tenant = await district(ENPING)
    exported, exported_apps, _refs = await _sent_batch(admin_url, tenant, date(2026, 7, 1))
    reconciled, reconciled_apps, paid_refs = await _sent_batch(admin_url, tenant, date(2026, 7, 2))
    await _reconcile_all(admin_url, tenant, reconciled, paid_refs)
    finance = await make_user(admin_url, tenant)
    cases = [(exported, exported_apps, "in_batch", "pending"), (reconciled, reconciled_apps, "paid", "paid")]

    for batch_id, apps, award_state, line_state in cases:
        before = await _snapshot(tenant, batch_id)
        # the service
        with pytest.raises(Conflict):
            async with tenant_transaction(TenantContext.district(tenant, finance.user_id)):
                await lifecycle.cancel(tenant, finance, batch_id, reason="try")
        # raw SQL as the application role, the way a buggy service would write it
        for statement in (
            "UPDATE disbursement_batches SET state = 'cancelled' WHERE tenant_id = $1 AND id = $2",
            "UPDATE disbursement_batches SET state = 'approved' WHERE tenant_id = $1 AND id = $2",
            "UPDATE payment_lines SET state = 'cancelled' WHERE tenant_id = $1 AND batch_id = $2",
        ):
            with pytest.raises(asyncpg.CheckViolationError) as as_app:
                async with tenant_transaction(TenantContext.district(tenant)):
                    await current_transaction().connection.execute(statement, tenant, batch_id)
            # ... and as the owner of the tables
            with pytest.raises(asyncpg.CheckViolationError) as as_owner:
                async with owner.transaction():
                    await _as_district(owner, tenant)
                    await owner.execute(statement, tenant, batch_id)
            for refused in (as_app.value, as_owner.value):
                assert refused.constraint_name.endswith("_state_machine"), refused
        # the awards cannot be put back in the queue either (paid or in the bank's hands)
        with pytest.raises(asyncpg.CheckViolationError, match="applications: state"):
            async with tenant_transaction(TenantContext.district(tenant)):
                await current_transaction().connection.execute(
                    "UPDATE applications SET state = 'submitted'"
                    " WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
                    tenant,
                    apps,
                )
        assert await _snapshot(tenant, batch_id) == before
        assert before == (
            "exported" if batch_id == exported else "reconciled",
            [line_state] * 2,
        )
        assert await states(tenant, apps) == {award_state: 2}


async def test_a_temporary_table_cannot_stand_in_for_the_batch_the_trigger_reads(admin_url: str) -> None:
    """The line trigger reads the batch's state; a session's own temporary
    ``disbursement_batches`` (searched first by default) must not fool it."""
    tenant = await district(ENPING)
    batch_id, _apps, _refs = await _sent_batch(admin_url, tenant, date(2026, 7, 5))
    with pytest.raises(asyncpg.CheckViolationError, match="payment_lines"):
        async with tenant_transaction(TenantContext.district(tenant)):
            conn = current_transaction().connection
            await conn.execute(
                """CREATE TEMPORARY TABLE disbursement_batches ON COMMIT DROP AS
                   SELECT $1::uuid AS tenant_id, $2::uuid AS id, 'approved'::text AS state""",
                tenant,
                batch_id,
            )
            await conn.execute(
                "UPDATE payment_lines SET state = 'cancelled' WHERE tenant_id = $1 AND batch_id = $2",
                tenant,
                batch_id,
            )
    assert (await _snapshot(tenant, batch_id))[1] == ["pending", "pending"]


async def test_the_service_still_cancels_a_batch_before_it_is_sent(admin_url: str) -> None:
    """The control: the database lets the legal cancellation through (built and approved)."""
    tenant = await district(ENPING)
    finance, checker = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    for approve_first in (False, True):
        apps = await make_ready(admin_url, tenant, 2, amount_fen=41_000)
        built = await build(BuildRequest(tenant, date(2026, 7, 3), "nightly", f"nightly:{uuid.uuid4()}"))
        (batch_id,) = (UUID(b) for b in built.batches)
        if approve_first:
            async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
                await lifecycle.approve(tenant, checker, batch_id)
        async with tenant_transaction(TenantContext.district(tenant, finance.user_id)):
            done = await lifecycle.cancel(tenant, finance, batch_id, reason="wrong payer")
        assert done.state == "cancelled"
        assert await states(tenant, apps) == {"ready": 2}


class _Undo(Exception):
    """Raised to roll a savepoint back after trying one step."""


async def _try_every_step(
    conn: asyncpg.Connection,
    table: str,
    row_id: UUID,
    tenant: UUID,
    edges: set[tuple[str, str]],
    all_states: tuple[str, ...],
    start: str,
) -> dict[tuple[str, str], bool]:
    """For every state reachable from ``start`` along ``edges``: walk the row there (inside a
    savepoint), then try each other state once. Returns (from, to) → whether the database took it."""
    taken: dict[tuple[str, str], bool] = {}
    update = f"UPDATE {table} SET state = $3 WHERE tenant_id = $1 AND id = $2"
    for here in all_states:
        walk = [] if here == start else _path(edges, start, here)
        if walk is None:
            continue
        for there in all_states:
            if there == here:
                continue
            try:
                async with conn.transaction():  # a savepoint: the row is back at ``start`` after
                    for step in walk:
                        await conn.execute(update, tenant, row_id, step)
                    try:
                        await conn.execute(update, tenant, row_id, there)
                        taken[(here, there)] = True
                    except asyncpg.CheckViolationError as refused:
                        assert refused.constraint_name == f"{table}_state_machine", refused
                        taken[(here, there)] = False
                    raise _Undo
            except _Undo:
                pass
    return taken


async def _lines_with_batch_in(
    conn: asyncpg.Connection,
    tenant: UUID,
    batch: UUID,
    line: UUID,
    walk: tuple[str, ...],
    edges: set[tuple[str, str]],
) -> dict[tuple[str, str], bool]:
    try:
        async with conn.transaction():
            for step in walk:
                await conn.execute("UPDATE disbursement_batches SET state = $2 WHERE id = $1", batch, step)
            taken = await _try_every_step(conn, "payment_lines", line, tenant, edges, LINE_STATES, "pending")
            raise _Undo
    except _Undo:
        return taken


async def test_every_step_outside_the_machines_is_refused_and_every_step_inside_is_taken(
    admin_url: str, owner: asyncpg.Connection
) -> None:
    tenant = await district(ENPING)
    (award,) = await make_ready(admin_url, tenant, 1, amount_fen=42_000, state="draft")
    (other,) = await make_ready(admin_url, tenant, 1, amount_fen=42_000, state="ready")
    async with owner.transaction():
        await _as_district(owner, tenant)
        batch = await owner.fetchval(
            """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin, payer_account,
                      payer_name, payer_bank, layout, declared_count, declared_total_fen)
               VALUES ($1, $2, '2026-07-04', 'manual', '1', '恩平', '工行', 'generic_csv', 0, 0)
               RETURNING id""",
            tenant, f"test:machine:{uuid.uuid4()}",
        )  # fmt: skip
        line = await owner.fetchval(
            """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference, amount_fen,
                      payee_name, payee_account_enc, payee_account_masked)
               VALUES ($1, $2, $3, 1, $4, 42000, '测试', 'x:y:z', '6222****0001') RETURNING id""",
            tenant, batch, other, f"TEST-{uuid.uuid4().hex[:16]}",
        )  # fmt: skip
        results = {
            "disbursement_batches": (
                await _try_every_step(
                    owner, "disbursement_batches", batch, tenant, BATCH, BATCH_STATES, "building"
                ),
                BATCH,
            ),
            # a line is cancelled only while its batch is not sent, paid or failed only once it is
            "payment_lines of an approved batch": (
                await _lines_with_batch_in(owner, tenant, batch, line, ("built", "approved"), UNSENT),
                UNSENT,
            ),
            "payment_lines of an exported batch": (
                await _lines_with_batch_in(
                    owner, tenant, batch, line, ("built", "approved", "exported"), LINE - UNSENT
                ),
                LINE - UNSENT,
            ),
            "applications": (
                await _try_every_step(owner, "applications", award, tenant, AWARD, AWARD_STATES, "draft"),
                AWARD,
            ),
        }
        # a row is born in its machine's first state only
        with pytest.raises(asyncpg.CheckViolationError, match="new row"):
            async with owner.transaction():
                await owner.execute(
                    """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin,
                              payer_account, payer_name, payer_bank, layout, state, declared_count,
                              declared_total_fen)
                       VALUES ($1, $2, '2026-07-04', 'manual', '1', '恩平', '工行', 'generic_csv',
                               'reconciled', 0, 0)""",
                    tenant, f"test:born:{uuid.uuid4()}",
                )  # fmt: skip
        with pytest.raises(asyncpg.CheckViolationError, match="new row"):
            async with owner.transaction():
                await owner.execute(
                    """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference,
                              amount_fen, payee_name, payee_account_enc, payee_account_masked, state)
                       VALUES ($1, $2, $3, 2, $4, 1, '测试', 'x:y:z', '6222****0001', 'paid')""",
                    tenant, batch, award, f"TEST-{uuid.uuid4().hex[:16]}",
                )  # fmt: skip
    for table, (taken, edges) in results.items():
        assert {step for step, ok in taken.items() if ok} == edges, table
        assert {a for a, _ in taken} >= {a for a, _ in edges}, table  # every state was stood in
        assert len(taken) > len(edges), table  # the refused steps were tried too
