"""Talent-card tables for Piccolo (the schema is ``db/migrations/0017_talent_cards.sql``).

Tenant tables: the database key is ``(tenant_id, id)``; Piccolo knows one key column, ``id``.
Numbers, status indexes and benefit counters are set by the database's triggers; state changes go
through :mod:`renshe.talent.applications`, :mod:`renshe.talent.issuance` and
:mod:`renshe.talent.cards`.
"""

from piccolo.columns import JSONB, UUID, Bytea, Date, Integer, Text, Timestamptz
from piccolo.table import Table


class CardSigningKey(Table, tablename="card_signing_keys"):
    """An Ed25519 key that signs card tokens and status lists (global; private half sealed)."""

    kid = Text(primary_key=True)
    public_key = Bytea()
    private_key = Text()
    state = Text(default="active")  # active | verifying | retired
    not_before = Timestamptz()
    signed_until = Timestamptz(null=True, default=None)
    retired_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class TalentApplication(Table, tablename="talent_applications"):
    """人才卡申请: a new card, a renewal or a reissue, with the evidence and the decision."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    number = Text()  # RC…, set by the database
    kind = Text(default="new")
    card_id = UUID(null=True, default=None)
    person_id = UUID()
    employer_id = UUID()
    tier_claimed = Text()
    tier_approved = Text(null=True, default=None)
    policy_version_id = UUID(null=True, default=None)
    facts = JSONB(default={})
    contract_end = Date()
    application_date = Date()
    evaluation = JSONB(null=True, default=None)
    state = Text(default="draft")
    employer_confirmed_by = Text(null=True, default=None)
    employer_confirmed_at = Timestamptz(null=True, default=None)
    employer_recorded_by = UUID(null=True, default=None)
    created_by = UUID(null=True, default=None)
    submitted_by = UUID(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    decided_by = UUID(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_comment = Text(null=True, default=None)
    approved_on = Date(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class TalentApplicationEvent(Table, tablename="talent_application_events"):
    """One step of an application's timeline."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    application_id = UUID()
    at = Timestamptz()
    actor_user_id = UUID(null=True, default=None)
    from_state = Text(null=True, default=None)
    to_state = Text()
    comment = Text(null=True, default=None)


class TalentStatusList(Table, tablename="talent_status_lists"):
    """A district's status list: the last index handed out and the last signed publication."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    last_index = Integer(default=-1)
    document = JSONB(null=True, default=None)
    published_at = Timestamptz(null=True, default=None)
    changed_at = Timestamptz()


class TalentCard(Table, tablename="talent_cards"):
    """人才卡: number and status index from the database, the signed token of its QR code."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    card_no = Text()
    year = Integer()
    status_index = Integer()
    application_id = UUID()
    origin = Text(default="new")  # new | renewal | reissue
    person_id = UUID()
    tier = Text()
    policy_version_id = UUID()
    valid_from = Date()
    valid_until = Date()
    contract_end = Date()
    holder_masked = Text()
    kid = Text()
    token = Text()
    state = Text(default="active")
    replaces_card_id = UUID(null=True, default=None)
    ended_reason = Text(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    ended_by = UUID(null=True, default=None)
    renewal_flagged_on = Date(null=True, default=None)
    version = Integer(default=1)
    issued_at = Timestamptz()
    updated_at = Timestamptz()


class TalentCardIssuance(Table, tablename="talent_card_issuances"):
    """One issuance (first issue, renewal, reissue): what was signed, when, by which job."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    application_id = UUID()
    card_id = UUID()
    kind = Text()
    valid_from = Date()
    valid_until = Date()
    kid = Text()
    job_id = UUID(null=True, default=None)
    issued_at = Timestamptz()


class TalentBenefitUse(Table, tablename="talent_benefit_uses"):
    """A benefit used at a service point (福利使用), counted against the tier's yearly quota."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    card_id = UUID()
    benefit = Text()
    used_on = Date()
    place = Text()
    yearly_quota = Integer(null=True, default=None)
    recorded_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class TalentBenefitCount(Table, tablename="talent_benefit_counts"):
    """Uses of one benefit of one card in one calendar year (``CHECK used <= quota``)."""

    id = UUID(primary_key=True)
    tenant_id = UUID()
    card_id = UUID()
    benefit = Text()
    year = Integer()
    used = Integer()
    quota = Integer(null=True, default=None)
