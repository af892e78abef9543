"""Exporting a batch to a bank file (生成代发文件), inside the caller's tenant transaction.

The file is rendered from the batch's lines (payee accounts unsealed only here, in memory) with
the declared envelope: ``bankfiles.render`` refuses a file whose lines do not add up to it. The
first export in the batch's own layout records the file's SHA-256 and moves the batch to
``exported``; any later export must give the very same bytes (regeneration is byte-identical), and
a difference is refused rather than sent to the bank.

After approval the ``disbursement.export_batch`` job does the first export (:func:`export_own_file`)
in its one transaction; the in-request download works before and after it. The generic CSV layout
is written in the district's ``[payer] file_encoding`` when no encoding is asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from renshe import clock
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.disbursement.bankfiles import BankFile, PaymentFile, PaymentLine, export, get_layout
from renshe.disbursement.service import Batch, get_batch, line_account, payer_of
from renshe.errors import Conflict
from renshe.i18n import lazy

EXPORTABLE = frozenset({"approved", "exported", "reconciled", "closed"})
BATCH = "disbursement_batch"
PROGRESS_EVERY = 250  # lines unsealed between two progress reports
Progress = Callable[[int, int | None], Awaitable[None]]
DIFFERS = lazy("The regenerated bank file differs from the one exported before; nothing was produced.")


async def payment_file_of(
    batch: Batch, progress: Progress | None = None
) -> tuple[PaymentFile, list[PaymentLine]]:
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
    lines = []
    for n, r in enumerate(rows, start=1):
        lines.append(
            PaymentLine(
                reference=r["reference"],
                account_number=line_account(batch.tenant_id, r["id"], r["payee_account_enc"]),
                account_name=r["payee_name"],
                bank_name=r["payee_bank_name"],
                amount_fen=r["amount_fen"],
                purpose=r["purpose"],
            )
        )
        if progress is not None and n % PROGRESS_EVERY == 0:
            await progress(n, len(rows))
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


async def _district_encoding(batch: Batch, layout: str) -> str | None:
    """The district's ``[payer] file_encoding`` for the generic CSV layout, else the layout's own."""
    if layout != "generic_csv":
        return None
    return (await payer_of(batch.tenant_id)).file_encoding


def _own_file(batch: Batch, header: PaymentFile, lines: list[PaymentLine], preferred: str | None) -> BankFile:
    """The batch's own file: in the district's encoding, or, once a file is recorded, in whichever
    of the layout's encodings reproduces its SHA-256 (the district may have changed its setting
    since). Refused when none does."""
    made = export(batch.layout, header, lines, preferred)  # envelope checked before any byte
    if batch.file_sha256 is None or made.sha256 == batch.file_sha256:
        return made
    for other in get_layout(batch.layout).encodings:
        if other != made.encoding:
            again = export(batch.layout, header, lines, other)
            if again.sha256 == batch.file_sha256:
                return again
    raise Conflict(DIFFERS)


def _audit_after(made: BankFile, lines: list[PaymentLine]) -> dict[str, object]:
    return {"layout": made.layout, "encoding": made.encoding, "sha256": made.sha256, "lines": len(lines)}


def _exportable(batch: Batch) -> None:
    if batch.state not in EXPORTABLE:
        raise Conflict(lazy("Only an approved batch can be exported to a bank file."))


async def _record(
    batch: Batch, made: BankFile, lines: list[PaymentLine], actor: audit.Actor, *, job: bool
) -> None:
    """The first export of the batch's own file: its SHA-256 recorded, approved → exported,
    audited — in the caller's transaction."""
    await current_transaction().connection.execute(
        """UPDATE disbursement_batches SET file_sha256 = $3, exported_at = coalesce($4, now()),
                  state = CASE WHEN state = 'approved' THEN 'exported' ELSE state END,
                  version = version + 1, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        batch.tenant_id,
        batch.id,
        made.sha256,
        clock.record_time(),
    )
    after = _audit_after(made, lines) | ({"job": True} if job else {})
    await audit.record(batch.tenant_id, actor, "disbursement.batch_exported", object_type=BATCH,
                       object_id=batch.id, before={"state": batch.state}, after=after)  # fmt: skip


async def export_batch(
    tenant_id: UUID,
    actor: audit.Actor,
    batch_id: UUID,
    layout: str | None = None,
    encoding: str | None = None,
) -> BankFile:
    """The bank file in the request: the batch's own file (recorded the first time) or another
    layout/encoding on demand (a download, never recorded)."""
    batch = await get_batch(tenant_id, batch_id, lock=True)
    _exportable(batch)
    header, lines = await payment_file_of(batch)
    chosen = layout or batch.layout
    own = chosen == batch.layout and encoding is None
    # rendering (an XLSX of thousands of lines) is seconds of CPU: in a thread, off the event loop
    if own:
        preferred = await _district_encoding(batch, chosen)
        bank_file = await asyncio.to_thread(_own_file, batch, header, lines, preferred)
    else:
        preferred = encoding or await _district_encoding(batch, chosen)
        # envelope checked before any byte
        bank_file = await asyncio.to_thread(export, chosen, header, lines, preferred)
    if own and batch.file_sha256 is None:
        await _record(batch, bank_file, lines, actor, job=False)
    else:
        await audit.record(batch.tenant_id, actor, "disbursement.file_downloaded", object_type=BATCH,
                           object_id=batch.id, before={"state": batch.state},
                           after=_audit_after(bank_file, lines))  # fmt: skip
    return bank_file


@dataclass(frozen=True, slots=True)
class Exported:
    """What the export job did: ``exported`` (this run recorded the file), ``verified`` (a file
    was recorded already and regenerates identically) or ``skipped`` (the batch was cancelled)."""

    outcome: str
    sha256: str | None
    lines: int


async def export_own_file(
    tenant_id: UUID, actor: audit.Actor, batch_id: UUID, progress: Progress | None = None
) -> Exported:
    """The export job's whole effect, in the caller's one transaction: render the batch's own file
    (envelope checked), record its SHA-256, approved → exported, audited. Killed at any line, it
    leaves nothing; run again after success, it only re-verifies the recorded SHA-256."""
    batch = await get_batch(tenant_id, batch_id, lock=True)
    if batch.state == "cancelled":
        return Exported("skipped", None, 0)
    _exportable(batch)
    header, lines = await payment_file_of(batch, progress)
    preferred = await _district_encoding(batch, batch.layout)
    made = await asyncio.to_thread(_own_file, batch, header, lines, preferred)
    if progress is not None:
        await progress(len(lines), len(lines))
    if batch.file_sha256 is not None:
        return Exported("verified", made.sha256, len(lines))
    await _record(batch, made, lines, actor, job=True)
    return Exported("exported", made.sha256, len(lines))
