"""Application tables for Piccolo (the schema is ``db/migrations/0007_awards_and_batches.sql``).

Tenant tables: the database key is ``(tenant_id, id)`` (budgets: ``(tenant_id, program_code,
year)``, with ``(tenant_id, id)`` unique); Piccolo knows one key column, ``id``. Money is
integer fen.
"""

from piccolo.columns import JSONB, UUID, BigInt, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class Application(Table, tablename="applications"):
    """An application for a subsidy (补贴申请), from draft to paid."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    number = Text()  # SQ…, set by the database (0014)
    program_code = Text()
    policy_version_id = UUID(null=True, default=None)  # frozen at approval
    person_id = UUID(null=True, default=None)
    enterprise_id = UUID(null=True, default=None)
    application_date = Date()
    facts = JSONB(default={})
    evaluation = JSONB(null=True, default=None)
    amount_fen = BigInt(null=True, default=None)
    budget_year = Integer(null=True, default=None)
    state = Text(default="draft")
    payee_name = Text(null=True, default=None)
    payee_account_enc = Text(null=True, default=None)
    payee_account_masked = Text(null=True, default=None)
    payee_bank_name = Text(null=True, default=None)
    notice_starts_on = Date(null=True, default=None)
    notice_ends_on = Date(null=True, default=None)
    ready_on = Date(null=True, default=None)
    created_by = UUID(null=True, default=None)
    submitted_by = UUID(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    decided_by = UUID(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_comment = Text(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class ApplicationEvent(Table, tablename="application_events"):
    """One state change of an application (申请流转记录)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    application_id = UUID()
    at = Timestamptz()
    actor_user_id = UUID(null=True, default=None)
    from_state = Text(null=True, default=None)
    to_state = Text()
    comment = Text(null=True, default=None)


class Objection(Table, tablename="objections"):
    """An objection raised during the public notice (公示异议)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    application_id = UUID()
    raised_by = Text()
    raised_on = Date()
    content = Text()
    recorded_by = UUID()
    recorded_at = Timestamptz()
    resolution = Text(null=True, default=None)
    resolution_comment = Text(null=True, default=None)
    resolved_by = UUID(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)


class Budget(Table, tablename="budgets"):
    """A district's yearly budget for a program (预算): total, reserved by approvals, paid."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    program_code = Text()
    year = Integer()
    total_fen = BigInt()
    reserved_fen = BigInt(default=0)
    paid_fen = BigInt(default=0)
    updated_at = Timestamptz()
