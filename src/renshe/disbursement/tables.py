"""Disbursement tables for Piccolo (the schema is ``db/migrations/0007_awards_and_batches.sql``).

Tenant tables: the database key is ``(tenant_id, id)``; Piccolo knows one key column, ``id``.
Money is integer fen. State changes go through :mod:`renshe.disbursement.lifecycle`.
"""

from piccolo.columns import JSONB, UUID, BigInt, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class DisbursementBatch(Table, tablename="disbursement_batches"):
    """A payment batch (发放批次) for one payer account, bank layout and part."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    number = Text()  # PF…, set by the database (0014)
    build_key = Text()
    business_date = Date()
    origin = Text()
    payer_account = Text()
    payer_name = Text()
    payer_bank = Text()
    layout = Text()
    part = Integer(default=1)
    state = Text(default="building")
    declared_count = Integer(null=True, default=None)
    declared_total_fen = BigInt(null=True, default=None)
    created_by = UUID(null=True, default=None)  # None for the nightly system build
    approved_by = UUID(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    file_sha256 = Text(null=True, default=None)
    exported_at = Timestamptz(null=True, default=None)
    reconciled_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class PaymentLine(Table, tablename="payment_lines"):
    """One payment to one payee in a batch (发放明细)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    batch_id = UUID()
    application_id = UUID()
    seq = Integer()
    reference = Text()
    amount_fen = BigInt()
    payee_name = Text()
    payee_account_enc = Text()
    payee_account_masked = Text()
    payee_bank_name = Text(null=True, default=None)
    state = Text(default="pending")
    bank_reason = Text(null=True, default=None)
    follows_line_id = UUID(null=True, default=None)  # the failed line this one retries
    created_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)


class BankReturn(Table, tablename="bank_returns"):
    """A bank's return file applied to a batch (回盘文件), once per file."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    batch_id = UUID()
    filename = Text()
    file_sha256 = Text()
    uploaded_by = UUID()
    uploaded_at = Timestamptz()
    applied = Integer(default=0)
    errors = JSONB(default=[])
