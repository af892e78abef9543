"""Reconciliation under the conditions mutation testing found untested (docs/testing.md, "Mutation
testing"): several paid lines of one program in one file move the budget by their sum, and each
city-wide receipt names its own award (a reversed payment withdraws the receipt by that name)."""

from __future__ import annotations

import json
import uuid
from datetime import date

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import reconcile
from tests.disbursement.awards import PROGRAM, YEAR, batches_with_lines, district, make_ready, make_user
from tests.disbursement.test_reconcile import _csv, _exported_batch, _give_document, _in
from tests.registry.support import prc_id

pytestmark = pytest.mark.usefixtures("db")
HESHAN = "440784"
AMOUNT = 212_345


async def _budget(tenant: uuid.UUID) -> tuple[int, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            "SELECT reserved_fen, paid_fen FROM budgets WHERE tenant_id = $1 AND program_code = $2"
            " AND year = $3",
            tenant, PROGRAM, YEAR,
        )  # fmt: skip
    return row["reserved_fen"], row["paid_fen"]


async def test_three_paid_lines_move_the_budget_by_their_sum_and_each_receipt_names_its_award(
    admin_url: str,
) -> None:
    tenant = await district(HESHAN)
    checker = await make_user(admin_url, tenant)
    apps = await make_ready(admin_url, tenant, 3, amount_fen=AMOUNT)
    for app_id in apps:
        await _give_document(admin_url, tenant, app_id, prc_id(HESHAN))
    batch_id = await _exported_batch(admin_url, tenant, checker, date(2026, 5, 11))
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    mine = [line for line in lines if line["application_id"] in set(apps)]
    reserved, paid = await _budget(tenant)

    content = _csv([(str(line["reference"]), "2123.45", "成功", "") for line in mine])
    done = await _in(
        tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "回盘.csv", content)
    )
    assert done.paid == 3
    assert await _budget(tenant) == (reserved - 3 * AMOUNT, paid + 3 * AMOUNT)
    conn = await asyncpg.connect(admin_url)
    try:
        refs = await conn.fetch(
            "SELECT award_ref FROM program_receipts WHERE tenant_id = $1 AND award_ref = ANY($2::text[])",
            tenant,
            [str(a) for a in apps],
        )
    finally:
        await conn.close()
    assert sorted(r["award_ref"] for r in refs) == sorted(str(a) for a in apps)


async def test_a_file_answering_every_line_reconciles_the_stored_batch_and_is_recorded_and_audited(
    admin_url: str,
) -> None:
    tenant = await district(HESHAN)
    checker = await make_user(admin_url, tenant)
    await make_ready(admin_url, tenant, 2, amount_fen=AMOUNT)
    batch_id = await _exported_batch(admin_url, tenant, checker, date(2026, 5, 12))
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    rows = [
        (str(line["reference"]), f"{line['amount_fen'] // 100}.{line['amount_fen'] % 100:02d}", "成功", "")
        for line in lines
    ]
    content = _csv([*rows, ("NOT-IN-BATCH-9", "1.00", "成功", "")])
    done = await _in(
        tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "回盘.csv", content)
    )
    assert (done.paid, done.batch_state, len(done.errors)) == (len(lines), "reconciled", 1)
    conn = await asyncpg.connect(admin_url)
    try:
        stored = await conn.fetchrow(
            "SELECT state, reconciled_at FROM disbursement_batches WHERE id = $1", batch_id
        )
        recorded = await conn.fetchrow(
            "SELECT applied, errors::text FROM bank_returns WHERE id = $1", done.return_id
        )
        audited = await conn.fetch(
            "SELECT object_type, before::text, after::text FROM audit_log WHERE object_id = $1"
            " AND action = 'disbursement.return_applied'",
            str(batch_id),
        )
    finally:
        await conn.close()
    assert stored["state"] == "reconciled" and stored["reconciled_at"] is not None
    assert recorded["applied"] == len(lines)
    assert [e["kind"] for e in json.loads(recorded["errors"])] == ["unmatched"]
    assert len(audited) == 1 and audited[0]["object_type"] == "disbursement_batch"
    assert json.loads(audited[0]["before"]) == {"state": "exported"}
    after = json.loads(audited[0]["after"])
    assert (after["state"], after["paid"], after["failed"]) == ("reconciled", len(lines), 0)
    assert after["errors"] == 1


async def test_rows_the_file_skips_do_not_stop_the_rows_after_them_and_paid_awards_show_on_their_timeline(
    admin_url: str,
) -> None:
    """A row still pending at the bank, a row repeating what an earlier file applied and a row
    contradicting an already-resolved line are each passed over, and the good rows after them in
    the same file are applied (a ``break`` instead of ``continue`` left them pending, silently);
    every award paid gets its 'in_batch → paid' event by the finance user on its timeline."""
    tenant = await district(HESHAN)
    checker = await make_user(admin_url, tenant)
    await make_ready(admin_url, tenant, 6, amount_fen=AMOUNT)
    batch_id = await _exported_batch(admin_url, tenant, checker, date(2026, 5, 13))
    ((_, lines),) = await batches_with_lines(tenant, [str(batch_id)])
    refs = [str(x["reference"]) for x in lines[:6]]
    first, repeated, contradicted, still_pending, paid_now, failed_now = refs
    amount = {str(x["reference"]): f"{x['amount_fen'] // 100}.{x['amount_fen'] % 100:02d}" for x in lines}
    award = {str(x["reference"]): x["application_id"] for x in lines}

    earlier = _csv([(first, amount[first], "成功", ""), (repeated, amount[repeated], "成功", ""),
                    (contradicted, amount[contradicted], "成功", "")])  # fmt: skip
    await _in(tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "r1.csv", earlier))
    later = _csv([
        (still_pending, amount[still_pending], "处理中", ""),
        (paid_now, amount[paid_now], "成功", ""),
        (repeated, amount[repeated], "成功", ""),
        (contradicted, amount[contradicted], "失败", "账户已销户"),
        (failed_now, amount[failed_now], "失败", "账户已冻结"),
        (first, amount[first], "成功", ""),
    ])  # fmt: skip
    done = await _in(
        tenant, checker, lambda: reconcile.upload_return(tenant, checker, batch_id, "r2.csv", later)
    )

    assert (done.paid, done.failed) == (1, 1)
    assert [e["kind"] for e in done.errors] == ["already_resolved"]
    conn = await asyncpg.connect(admin_url)
    try:
        states = {
            str(r["reference"]): r["state"]
            for r in await conn.fetch(
                "SELECT reference, state FROM payment_lines WHERE batch_id = $1", batch_id
            )
        }
        events = await conn.fetch(
            "SELECT application_id, actor_user_id FROM application_events"
            " WHERE application_id = ANY($1::uuid[]) AND from_state = 'in_batch' AND to_state = 'paid'",
            [award[r] for r in (first, repeated, contradicted, paid_now)],
        )
    finally:
        await conn.close()
    assert states[paid_now] == "paid" and states[failed_now] == "failed"
    assert states[still_pending] == "pending" and states[contradicted] == "paid"
    assert sorted(str(e["application_id"]) for e in events) == sorted(
        str(award[r]) for r in (first, repeated, contradicted, paid_now)
    )
    assert {e["actor_user_id"] for e in events} == {checker.user_id}
