"""Exporting a batch to a bank file (生成代发文件), inside the caller's tenant transaction.

The file is rendered from the batch's lines (payee accounts unsealed only here, in memory) with
the declared envelope: ``bankfiles.render`` refuses a file whose lines do not add up to it. The
first export in the batch's own layout records the file's SHA-256 and moves the batch to
``exported``; any later export must give the very same bytes (regeneration is byte-identical), and
a difference is refused rather than sent to the bank.
"""

from __future__ import annotations

from uuid import UUID

from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.disbursement.bankfiles import BankFile, PaymentFile, PaymentLine, export
from renshe.disbursement.service import Batch, get_batch, line_account
from renshe.errors import Conflict
from renshe.i18n import lazy

EXPORTABLE = frozenset({"approved", "exported", "reconciled", "closed"})


async def payment_file_of(batch: Batch) -> tuple[PaymentFile, list[PaymentLine]]:
    rows = await current_transaction().connection.fetch(
        """SELECT l.id, l.reference, l.amount_fen, l.payee_name, l.payee_account_enc,
                  coalesce(l.payee_bank_name, '') AS payee_bank_name, a.program_code,
                  coalesce(p.name_zh, a.program_code) AS purpose
           FROM payment_lines l
           JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id
           LEFT JOIN programs p ON p.code = a.program_code
           WHERE l.tenant_id = $1 AND l.batch_id = $2 AND l.state <> 'cancelled'
           ORDER BY l.seq""",
        batch.tenant_id,
        batch.id,
    )
    lines = [
        PaymentLine(
            reference=r["reference"],
            account_number=line_account(batch.tenant_id, r["id"], r["payee_account_enc"]),
            account_name=r["payee_name"],
            bank_name=r["payee_bank_name"],
            amount_fen=r["amount_fen"],
            purpose=r["purpose"],
        )
        for r in rows
    ]
    header = PaymentFile(
        payer_account_number=batch.payer_account,
        payer_account_name=batch.payer_name,
        payer_bank=batch.payer_bank,
        batch_reference=batch.reference,
        business_date=batch.business_date,
        line_count=batch.declared_count or 0,
        total_fen=batch.declared_total_fen or 0,
    )
    return header, lines


async def export_batch(
    tenant_id: UUID,
    actor: audit.Actor,
    batch_id: UUID,
    layout: str | None = None,
    encoding: str | None = None,
) -> BankFile:
    batch = await get_batch(tenant_id, batch_id, lock=True)
    if batch.state not in EXPORTABLE:
        raise Conflict(lazy("Only an approved batch can be exported to a bank file."))
    header, lines = await payment_file_of(batch)
    chosen = layout or batch.layout
    bank_file = export(chosen, header, lines, encoding)  # envelope checked before any byte
    own = chosen == batch.layout and encoding is None
    if own and batch.file_sha256 is not None and batch.file_sha256 != bank_file.sha256:
        raise Conflict(
            lazy("The regenerated bank file differs from the one exported before; nothing was produced.")
        )
    if own and batch.file_sha256 is None:
        await current_transaction().connection.execute(
            """UPDATE disbursement_batches SET file_sha256 = $3, exported_at = now(),
                      state = CASE WHEN state = 'approved' THEN 'exported' ELSE state END,
                      version = version + 1, updated_at = now()
               WHERE tenant_id = $1 AND id = $2""",
            batch.tenant_id,
            batch.id,
            bank_file.sha256,
        )
    action = (
        "disbursement.batch_exported" if own and batch.file_sha256 is None else "disbursement.file_downloaded"
    )
    await audit.record(batch.tenant_id, actor, action, object_type="disbursement_batch", object_id=batch.id,
                       before={"state": batch.state},
                       after={"layout": bank_file.layout, "encoding": bank_file.encoding,
                              "sha256": bank_file.sha256, "lines": len(lines)})  # fmt: skip
    return bank_file
