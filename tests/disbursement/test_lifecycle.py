"""Batch lifecycle: maker-checker approval, cancel releases awards, export checks the envelope and
regenerates byte-identical files."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar

import asyncpg
import pytest

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement import export, lifecycle
from renshe.disbursement.bankfiles import EnvelopeMismatch
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import Batch
from renshe.errors import Conflict, Forbidden, NotFound
from tests.disbursement.awards import (
    batches_with_lines,
    district,
    live_lines_per_award,
    make_ready,
    make_user,
    states,
)
from tests.disbursement.support import read_generic_csv, read_icbc, read_xlsx

T = TypeVar("T")
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
KAIPING = "440783"


async def _manual_batch(
    admin_url: str, tenant: uuid.UUID, maker: audit.Actor, n: int = 3
) -> tuple[Batch, list[uuid.UUID]]:
    apps = await make_ready(admin_url, tenant, n, amount_fen=250_050)
    request = BuildRequest(
        tenant, date(2026, 3, 10), "manual", f"manual:{uuid.uuid4()}", created_by=maker.user_id
    )
    result = await build(request)
    assert len(result.batches) == 1
    async with tenant_transaction(TenantContext.district(tenant)):
        from renshe.disbursement.service import get_batch

        batch = await get_batch(tenant, uuid.UUID(result.batches[0]))
    return batch, apps


def file_rows(layout: str, content: bytes) -> list[list[object]]:
    """The payment rows of a rendered file, read back the way the bank would."""
    if layout == "xlsx":
        return [list(r) for r in read_xlsx(content)[0][1:]]
    if layout == "icbc":
        return [list(r) for r in read_icbc(content)[2]]
    return [list(r) for r in read_generic_csv(content, "utf-8-sig")[1]]


async def _in(tenant: uuid.UUID, actor: audit.Actor, work: Callable[[], Awaitable[T]]) -> T:
    async with tenant_transaction(TenantContext.district(tenant, actor.user_id)):
        return await work()


async def test_the_maker_cannot_approve_but_another_finance_officer_can(admin_url: str) -> None:
    tenant = await district(KAIPING)
    maker, checker = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    batch, _ = await _manual_batch(admin_url, tenant, maker)
    assert batch.created_by == maker.user_id and batch.state == "built"

    with pytest.raises(Forbidden):
        await _in(tenant, maker, lambda: lifecycle.approve(tenant, maker, batch.id))
    approved = await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch.id, batch.version))
    assert (approved.state, approved.approved_by) == ("approved", checker.user_id)
    with pytest.raises(Conflict):  # approving twice is refused
        await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch.id))


async def test_the_database_refuses_approval_by_the_creator(admin_url: str) -> None:
    tenant = await district(KAIPING)
    maker = await make_user(admin_url, tenant)
    batch, _ = await _manual_batch(admin_url, tenant, maker, n=1)
    conn = await asyncpg.connect(admin_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="batches_maker_checker"):
            await conn.execute(
                "UPDATE disbursement_batches SET approved_by = created_by WHERE tenant_id = $1 AND id = $2",
                tenant,
                batch.id,
            )
    finally:
        await conn.close()


async def test_cancel_returns_the_awards_to_ready_and_they_can_be_batched_again(admin_url: str) -> None:
    tenant = await district(KAIPING)
    maker, checker = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    batch, apps = await _manual_batch(admin_url, tenant, maker)
    cancelled = await _in(
        tenant, checker, lambda: lifecycle.cancel(tenant, checker, batch.id, reason="wrong date")
    )
    assert cancelled.state == "cancelled"
    assert await states(tenant, apps) == {"ready": 3}
    assert await live_lines_per_award(tenant, apps) == {a: 0 for a in apps}
    ((_, lines),) = await batches_with_lines(tenant, [str(batch.id)])
    assert {line["state"] for line in lines} == {"cancelled"}
    with pytest.raises(Conflict):
        await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch.id))

    again, _ = await _manual_batch(admin_url, tenant, maker, n=1)  # picks up the released ones too
    ((_, new_lines),) = await batches_with_lines(tenant, [str(again.id)])
    assert set(apps) <= {line["application_id"] for line in new_lines}
    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}


async def test_export_records_the_sha_and_regenerates_identical_bytes(admin_url: str) -> None:
    tenant = await district(KAIPING)
    maker, checker = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    batch, _ = await _manual_batch(admin_url, tenant, maker)
    with pytest.raises(Conflict):  # not approved yet
        await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch.id))
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch.id))

    first = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch.id))
    second = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch.id))
    assert first.content == second.content and first.sha256 == second.sha256
    ((row, lines),) = await batches_with_lines(tenant, [str(batch.id)])
    assert (row["state"], row["file_sha256"]) == ("exported", first.sha256)
    rows = file_rows(str(row["layout"]), first.content)
    assert len(rows) == len(lines) == row["declared_count"]
    # the clear account is in the file, unsealed from the line's own snapshot
    assert all(any(str(cell).startswith("62220202") for cell in r) for r in rows)
    other = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch.id, layout="xlsx"))
    assert other.layout == "xlsx"
    ((row_after, _),) = await batches_with_lines(tenant, [str(batch.id)])
    assert row_after["file_sha256"] == first.sha256  # the recorded file is the batch's own layout


async def test_export_refuses_a_batch_whose_lines_disagree_with_its_envelope(admin_url: str) -> None:
    tenant = await district(KAIPING)
    maker, checker = await make_user(admin_url, tenant), await make_user(admin_url, tenant)
    batch, _ = await _manual_batch(admin_url, tenant, maker)
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch.id))
    conn = await asyncpg.connect(admin_url)  # someone alters a line's amount behind the batch's back
    try:
        await conn.execute(
            """UPDATE payment_lines SET amount_fen = amount_fen + 1
               WHERE tenant_id = $1 AND batch_id = $2 AND seq = 1""",
            tenant,
            batch.id,
        )
    finally:
        await conn.close()
    with pytest.raises(EnvelopeMismatch):
        await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch.id))
    ((row, _),) = await batches_with_lines(tenant, [str(batch.id)])
    assert (row["state"], row["file_sha256"]) == ("approved", None)


async def test_another_districts_batch_is_not_found(admin_url: str) -> None:
    tenant, other = await district(KAIPING), await district("440703")
    maker, intruder = await make_user(admin_url, tenant), await make_user(admin_url, other)
    batch, _ = await _manual_batch(admin_url, tenant, maker, n=1)
    with pytest.raises(NotFound):
        await _in(other, intruder, lambda: lifecycle.approve(other, intruder, batch.id))
    with pytest.raises(NotFound):  # even naming the right tenant: RLS hides the row
        await _in(other, intruder, lambda: lifecycle.approve(tenant, intruder, batch.id))
