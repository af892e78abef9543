"""Reconciliation under the conditions mutation testing found untested (docs/testing.md, "Mutation
testing"): several paid lines of one program in one file move the budget by their sum, and each
city-wide receipt names its own award (a reversed payment withdraws the receipt by that name)."""

from __future__ import annotations

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
