"""演示数据 — disbursement batches for the demo (called by ``renshe.subsidies.demo``).

Everything goes through the real services: a nightly build for a past business date (the system
creates it, so the district's finance user may approve it), approval, the export job it enqueues
(run here, at the approval's instant, as a worker would run it: the jobs list shows it done that
morning), and a generated bank return file (回盘文件) uploaded for reconciliation.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.disbursement import lifecycle, reconcile
from renshe.disbursement.bankfiles.record import yuan
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.export_job import export_key
from renshe.disbursement.service import batch_lines, get_batch
from renshe.jobs import runner
from renshe.registry.service import Caller

# What the bank answers for a refused payment (the reason is shown on the award).
BANK_REASONS = ("账户状态异常(冻结)", "户名与账号不符", "账户已销户")


async def build_nightly(tenant_id: UUID, business_date: date) -> list[UUID]:
    """The nightly build of ``business_date`` (idempotent per district and date)."""
    request = BuildRequest(tenant_id, business_date, "nightly", f"nightly:{business_date.isoformat()}")
    return [UUID(b) for b in (await build(request)).batches]


async def approve_and_export(finance: Caller, tenant_id: UUID, batch_id: UUID) -> None:
    """Finance approves the system-built batch; its export job makes the bank file."""
    async with tenant_transaction(finance.context()):
        await lifecycle.approve(tenant_id, finance.actor, batch_id)
        job_id = await current_transaction().connection.fetchval(
            "SELECT id FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2",
            tenant_id, export_key(batch_id),
        )  # fmt: skip
    if await runner.run(tenant_id, job_id, worker="demo-seed") != "succeeded":
        raise RuntimeError(f"the demo's export job {job_id} did not succeed")


def return_file(lines: list[dict[str, Any]], refused: set[UUID]) -> bytes:
    """A bank return CSV: the lines of the ``refused`` awards failed with a reason, the others paid."""
    rows = ["业务参考号,交易状态,交易金额(元),失败原因"]
    for line in lines:
        amount = yuan(int(line["amount_fen"]))
        if line["application_id"] in refused:
            reason = BANK_REASONS[len(rows) % len(BANK_REASONS)]
            rows.append(f"{line['reference']},失败,{amount},{reason}")
        else:
            rows.append(f"{line['reference']},成功,{amount},")
    return ("\n".join(rows) + "\n").encode("utf-8")


async def reconcile_with_failures(
    finance: Caller, tenant_id: UUID, batch_id: UUID, failing: int, among: set[UUID]
) -> list[UUID]:
    """Upload the bank's return for an exported batch: ``failing`` payments to awards ``among``
    the given ones are refused, every other line is paid. Returns the refused awards."""
    async with tenant_transaction(finance.context()):
        lines = [line for line in await batch_lines(tenant_id, batch_id) if line["state"] == "pending"]
        number = (await get_batch(tenant_id, batch_id)).number  # the file named as a bank names it
    refused = [line["application_id"] for line in lines if line["application_id"] in among][:failing]
    content = return_file(lines, set(refused))
    async with tenant_transaction(finance.context()):
        await reconcile.upload_return(tenant_id, finance.actor, batch_id, f"回盘_{number}.csv", content)
    return refused
