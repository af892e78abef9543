"""Reconciliation: success and failure applied, the same file twice applies nothing, bad return
lines listed and never applied, failed awards paid later as follow-ups."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

import asyncpg
import pytest

from renshe.audit import service as audit
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import get_batch
from renshe.errors import Conflict
from renshe.registry import citywide
from renshe.registry.identifiers import DocumentType, validate_document
from renshe.registry.masking import mask_document
from renshe.registry.sealing import DOCUMENTS, document_index, seal
from tests.disbursement.awards import (
    PROGRAM,
    YEAR,
    batches_with_lines,
    district,
    make_ready,
    make_user,
    states,
)
from tests.registry.support import prc_id

T = TypeVar("T")
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
TAISHAN = "440781"
AMOUNT = 300_000


async def _in(tenant: uuid.UUID, actor: audit.Actor, work: Callable[[], Awaitable[T]]) -> T:
    async with tenant_transaction(TenantContext.district(tenant, actor.user_id)):
        return await work()


async def _budget(tenant: uuid.UUID) -> tuple[int, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            """SELECT reserved_fen, paid_fen FROM budgets
               WHERE tenant_id = $1 AND program_code = $2 AND year = $3""",
            tenant, PROGRAM, YEAR,
        )  # fmt: skip
    return row["reserved_fen"], row["paid_fen"]


async def _exported_batch(admin_url: str, tenant: uuid.UUID, checker: audit.Actor, day: date) -> uuid.UUID:
    result = await build(BuildRequest(tenant, day, "nightly", f"nightly:{day.isoformat()}"))
    batch_id = uuid.UUID(result.batches[0])
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch_id))
    await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch_id))
    return batch_id


def _csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    text = "业务参考号,金额,状态,失败原因\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    return text.encode("gbk")


async def test_a_return_file_pays_fails_and_reports_and_the_same_file_twice_changes_nothing(
    admin_url: str,
) -> None:
    tenant = await district(TAISHAN)
    checker = await make_user(admin_url, tenant)
    apps = await make_ready(admin_url, tenant, 4, amount_fen=AMOUNT)
    batch_id = await _exported_batch(admin_url, tenant, checker, date(2026, 3, 20))
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    mine = [line for line in lines if line["application_id"] in set(apps)]
    assert len(mine) == 4
    ref = [str(line["reference"]) for line in mine]
    reserved_before, paid_before = await _budget(tenant)

    # the first two awards' persons hold a resident ID (the fixture's persons have none)
    numbers = [prc_id("440781"), prc_id("440781")]
    for app_id, number in zip([mine[0]["application_id"], mine[1]["application_id"]], numbers, strict=True):
        await _give_document(admin_url, tenant, app_id, number)
    assert not await _received_anywhere(numbers[0])

    content = _csv([
        (ref[0], "3000.00", "成功", ""),
        (ref[1], "3000.00", "失败", "账户已销户"),
        (ref[2], "2999.00", "成功", ""),  # amount differs: never applied
        ("NOT-IN-BATCH-1", "3000.00", "成功", ""),  # unmatched
    ])  # fmt: skip
    first = await _in(
        tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "回盘.csv", content)
    )
    assert (first.already_uploaded, first.paid, first.failed) == (False, 1, 1)
    assert sorted(e["kind"] for e in first.errors) == ["amount_mismatch", "unmatched"]
    assert first.batch_state == "exported"  # two lines are still unresolved

    (_, after) = (await batches_with_lines(tenant, [str(batch_id)]))[0]
    by_ref = {str(line["reference"]): line for line in after}
    assert by_ref[ref[0]]["state"] == "paid"
    assert (by_ref[ref[1]]["state"], by_ref[ref[1]]["bank_reason"]) == ("failed", "账户已销户")
    assert by_ref[ref[2]]["state"] == by_ref[ref[3]]["state"] == "pending"
    assert await states(tenant, apps) == {"paid": 1, "payment_failed": 1, "in_batch": 2}
    assert await _budget(tenant) == (reserved_before - AMOUNT, paid_before + AMOUNT)
    # the paid award is now known city-wide (yes/no, asked from another district); the failed one not
    assert await _received_anywhere(numbers[0])
    assert not await _received_anywhere(numbers[1])

    again = await _in(
        tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "回盘.csv", content)
    )
    assert (again.already_uploaded, again.applied, again.return_id) == (True, 0, first.return_id)
    assert await states(tenant, apps) == {"paid": 1, "payment_failed": 1, "in_batch": 2}
    assert await _budget(tenant) == (reserved_before - AMOUNT, paid_before + AMOUNT)

    # a second file resolves the rest: the batch is reconciled; a contradiction is refused
    # (any other award ready in the district at build time is in the batch too: answer it as well)
    others = [(str(x["reference"]), "", "成功", "") for x in lines if x["application_id"] not in set(apps)]
    rest = _csv([
        (ref[2], "3000.00", "成功", ""), (ref[3], "3000.00", "成功", ""), (ref[0], "3000.00", "失败", "x"),
        *others,
    ])  # fmt: skip
    second = await _in(
        tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "r2.csv", rest)
    )
    assert second.batch_state == "reconciled"
    assert second.paid == 2 + len(others) and [e["kind"] for e in second.errors] == ["already_resolved"]
    assert await states(tenant, apps) == {"paid": 3, "payment_failed": 1}


async def test_a_failed_award_is_paid_by_the_next_batch_as_a_follow_up(admin_url: str) -> None:
    tenant = await district(TAISHAN)
    checker = await make_user(admin_url, tenant)
    (app,) = await make_ready(admin_url, tenant, 1, amount_fen=AMOUNT)
    batch_id = await _exported_batch(admin_url, tenant, checker, date(2026, 3, 21))
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    failed_line = next(line for line in lines if line["application_id"] == app)
    content = _csv([(str(failed_line["reference"]), "3000.00", "失败", "户名不符")])
    await _in(tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "r.csv", content))

    conn = await asyncpg.connect(admin_url)  # the clerk fixes the account: ready again (other helper's flow)
    try:
        await conn.execute(
            """UPDATE applications SET state = 'ready'
               WHERE tenant_id = $1 AND id = $2 AND state = 'payment_failed'""",
            tenant,
            app,
        )
    finally:
        await conn.close()
    follow = await build(BuildRequest(tenant, date(2026, 3, 22), "nightly", "nightly:2026-03-22"))
    ((_, new_lines),) = await batches_with_lines(tenant, follow.batches[:1])
    retry = next(line for line in new_lines if line["application_id"] == app)
    assert retry["follows_line_id"] == failed_line["id"]
    assert retry["state"] == "pending"


async def test_a_return_for_a_batch_not_yet_exported_is_refused(admin_url: str) -> None:
    tenant = await district(TAISHAN)
    checker = await make_user(admin_url, tenant)
    await make_ready(admin_url, tenant, 1)
    result = await build(BuildRequest(tenant, date(2026, 3, 23), "nightly", "nightly:2026-03-23"))
    batch_id = uuid.UUID(result.batches[0])
    with pytest.raises(Conflict):
        await _in(
            tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "r.csv", _csv([]))
        )
    async with tenant_transaction(TenantContext.district(tenant)):
        assert (await get_batch(tenant, batch_id)).state == "built"


async def _give_document(admin_url: str, tenant: UUID, application_id: UUID, number: str) -> None:
    doc = validate_document(DocumentType.PRC_ID, number)
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        person_id = await conn.fetchval(
            "SELECT person_id FROM applications WHERE tenant_id = $1 AND id = $2", tenant, application_id
        )
        row_id = uuid.uuid4()  # sealed for real: key rotation in later tests must be able to read it
        await conn.execute(
            """INSERT INTO person_documents (tenant_id, id, person_id, doc_type, number_enc, number_index,
                                             number_masked)
               VALUES ($1, $2, $3, 'prc_id', $4, $5, $6)""",
            tenant,
            row_id,
            person_id,
            seal(DOCUMENTS, "number", tenant, row_id, doc.number),
            document_index(DocumentType.PRC_ID, doc.identity_key),
            mask_document(DocumentType.PRC_ID, doc.number),
        )
    finally:
        await conn.close()


async def _received_anywhere(number: str) -> bool:
    """Asked from Pengjiang, about a document registered in Taishan."""
    other = await district("440703")
    async with tenant_transaction(TenantContext.district(other)):
        return await citywide.document_received_program(
            validate_document(DocumentType.PRC_ID, number), PROGRAM
        )
