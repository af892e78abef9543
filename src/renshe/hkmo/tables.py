"""Hong Kong and Macao youth tables for Piccolo (the schema is ``db/migrations/0019_hkmo_youth.sql``
and ``0020_hkmo_grants.sql``).

Tenant tables: the database key is ``(tenant_id, id)``; Piccolo knows one key column, ``id``.
Changes go through :mod:`renshe.hkmo.youth`, :mod:`renshe.hkmo.grants`, :mod:`renshe.hkmo.tranches`
and :mod:`renshe.hkmo.clawbacks`.
"""

from piccolo.columns import JSONB, UUID, BigInt, Boolean, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class HkmoYouth(Table, tablename="hkmo_youth"):
    """港澳青年: a registered person with a Hong Kong or Macao document, tracked by the district."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    person_id = UUID()
    school = Text(null=True, default=None)
    graduated_on = Date(null=True, default=None)
    status = Text()  # studying | employed | self_employed | founder | left
    enterprise_id = UUID(null=True, default=None)
    incubation_base = Text(null=True, default=None)
    reached_via = Text()
    registered_on = Date()
    age_at_registration = Integer()
    consent_given_at = Timestamptz()
    consent_withdrawn_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class HkmoYouthEvent(Table, tablename="hkmo_youth_events"):
    """One line of a youth's history: registration, a change of status, the withdrawal of consent."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    youth_id = UUID()
    kind = Text()
    from_status = Text(null=True, default=None)
    to_status = Text(null=True, default=None)
    comment = Text(null=True, default=None)
    actor_user_id = UUID(null=True, default=None)
    at = Timestamptz()


class HkmoGrant(Table, tablename="hkmo_grants"):
    """港澳青年资助: a grant of one HK/MO program to a youth, planned as tranches (0020)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    youth_id = UUID()
    program_code = Text()
    policy_version_id = UUID(null=True, default=None)
    facts = JSONB(default={})
    evaluation = JSONB(null=True, default=None)
    amount_fen = BigInt()
    applied_on = Date()
    state = Text(default="draft")  # draft | submitted | approved | rejected | withdrawn
    created_by = UUID(null=True, default=None)
    submitted_by = UUID(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    decided_by = UUID(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_comment = Text(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class HkmoTranche(Table, tablename="hkmo_tranches"):
    """分期: one payment of a grant, behind a milestone; payable as an award once it is met."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    grant_id = UUID()
    seq = Integer()
    milestone = Text()
    due_on = Date()
    amount_fen = BigInt()
    state = Text(default="planned")
    evidence_met = Boolean(null=True, default=None)
    evidence_note = Text(null=True, default=None)
    evidence_files = JSONB(default=[])
    evidence_by = UUID(null=True, default=None)
    evidence_at = Timestamptz(null=True, default=None)
    decided_met = Boolean(null=True, default=None)
    decided_by = UUID(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_comment = Text(null=True, default=None)
    cancel_reason = Text(null=True, default=None)
    award_id = UUID(null=True, default=None)
    scheduled_interest_fen = BigInt(null=True, default=None)  # a loan period (0022)
    interest_paid_fen = BigInt(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class HkmoClawback(Table, tablename="hkmo_clawbacks"):
    """追回: an amount a youth owes back on a grant, with the reason; its recovery is in the ledger."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    grant_id = UUID()
    amount_fen = BigInt()
    reason = Text()
    recorded_by = UUID()
    recorded_at = Timestamptz()


class HkmoLedgerEntry(Table, tablename="hkmo_ledger"):
    """资助台账: one append-only entry of a grant's money; balances are sums of these."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    grant_id = UUID()
    tranche_id = UUID(null=True, default=None)
    clawback_id = UUID(null=True, default=None)
    kind = Text()
    amount_fen = BigInt()
    at = Timestamptz()
    actor_user_id = UUID(null=True, default=None)
    note = Text(null=True, default=None)


class HkmoLoan(Table, tablename="hkmo_loans"):
    """乐业五邑贷: the guaranteed start-up loan behind an interest-subsidy grant (0022)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    grant_id = UUID()
    bank = Text()
    principal_fen = BigInt()
    annual_rate_bp = Integer()
    term_months = Integer()
    period_months = Integer()
    starts_on = Date()
    created_at = Timestamptz()


class HkmoTarget(Table, tablename="hkmo_targets"):
    """目标任务: the city's target for a metric and year, or a district's share of it (0023).
    City-wide reference data (no row security); written by :mod:`renshe.hkmo.targets`."""

    id = UUID(primary_key=True)
    city_id = UUID()
    year = Integer()
    metric = Text()
    district_id = UUID(null=True, default=None)
    target = BigInt()
    set_by = UUID(null=True, default=None)
    set_at = Timestamptz()
