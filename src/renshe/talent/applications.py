"""Talent-card applications (人才卡申请): a clerk enters one for a registered person with the
evidence, records the employer's confirmation and submits it; a reviewer who did not submit it
approves a tier (the claimed one or a lower one) or rejects it with a reason. Approved applications
are issued by the ``talent.issue`` job (:mod:`renshe.talent.issuance`).

Each call is one tenant transaction; every step writes a timeline event and an audit record in it
and is refused with 409 when the ``version`` the caller read is stale. Maker-checker is checked
here and by the database (``talent_applications_maker_checker``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction, within
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.i18n import gettext, lazy
from renshe.registry import repository as registry
from renshe.registry.model import Person
from renshe.registry.service import Caller
from renshe.talent import application_store as store
from renshe.talent import tiers

# District roles read talent cards; city roles see the rollups, never a person's card.
READERS = frozenset({Role.CLERK, Role.REVIEWER, Role.DISTRICT_ADMIN})

WRONG_STATE = lazy("This cannot be done in the application's current state.")
OWN_SUBMISSION = lazy("You submitted this application: another reviewer must decide it.")
NO_PERSON = lazy("No such person in this district's registry.")
NO_EMPLOYER = lazy("No such employer in this district's registry.")
UNKNOWN_TIER = lazy("Choose tier A, B or C.")
CONTRACT_ENDED = lazy("The labour contract has ended: a card needs a contract that runs past today.")
NOT_MET = lazy("The evidence does not meet the conditions of tier %(tier)s.")
HIGHER_TIER = lazy("A reviewer may approve the claimed tier or a lower one, not a higher one.")
NOT_CONFIRMED = lazy("Record the employer's confirmation first.")
WHO_CONFIRMED = lazy("Name who confirmed for the employer.")
COMMENT_REQUIRED = lazy("Give a reason.")


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a clerk enters (证明材料): the tier claimed and the facts its conditions read."""

    person_id: UUID
    employer_id: UUID
    tier_claimed: str
    social_insurance_months: int
    contract_end: date
    qualifications: tuple[str, ...] = ()
    annual_salary_fen: int | None = None
    civil_servant: bool = False
    application_date: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "qualifications": list(self.qualifications),
            "social_insurance_months": self.social_insurance_months,
            "civil_servant": self.civil_servant,
            **self.extra,
        }
        if self.annual_salary_fen is not None:
            facts["annual_salary_fen"] = self.annual_salary_fen
        return facts


def require(caller: Caller, *roles: Any) -> UUID:
    """The caller's district, if they hold one of ``roles`` there (403 otherwise)."""
    p = caller.principal
    if not (p.is_district and p.has(*roles)):
        raise Forbidden()
    return p.org_unit.id


def reading_district(caller: Caller) -> UUID:
    return require(caller, *READERS)


def _reasons_error(tier: str, judgement: tiers.TierJudgement) -> ValidationFailed:
    """422 listing every condition not met, each under ``reasons[i]``."""
    errors = {f"reasons[{i}]": r.render() for i, r in enumerate(judgement.reasons)}
    failure = ValidationFailed(errors, gettext(NOT_MET) % {"tier": tier})
    return failure


async def _registry_parties(tenant_id: UUID, person_id: UUID, employer_id: UUID) -> Person:
    """The person and the employer must be in this district's registry (422 naming the field)."""
    errors: dict[str, str] = {}
    person: Person | None = None
    try:
        person = await registry.load_person(person_id, [tenant_id])
    except NotFound:
        errors["person_id"] = NO_PERSON
    try:
        await registry.load_enterprise(employer_id, [tenant_id])
    except NotFound:
        errors["employer_id"] = NO_EMPLOYER
    if errors or person is None:
        raise ValidationFailed(errors)
    return person


async def judged(
    tenant_id: UUID, person: Person, tier_claimed: str, facts: dict[str, Any], *, contract_end: date, on: date
) -> dict[str, tiers.TierJudgement]:
    """Every tier judged on ``on``; 422 when the claimed tier is not met or the contract is over."""
    if tier_claimed not in tiers.TIERS:
        raise ValidationFailed({"tier_claimed": UNKNOWN_TIER})
    if contract_end <= on:
        raise ValidationFailed({"contract_end": CONTRACT_ENDED})
    judgements = await tiers.judge_all(tenant_id, person, facts, on)
    if not judgements[tier_claimed].eligible:
        raise _reasons_error(tier_claimed, judgements[tier_claimed])
    return judgements


async def insert(
    tenant_id: UUID, caller: Caller, evidence: Evidence, *, kind: str = "new", card_id: UUID | None = None,
    comment: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Judge and store an application inside the open transaction (a renewal passes its card)."""
    on = evidence.application_date or clock.today()
    person = await _registry_parties(tenant_id, evidence.person_id, evidence.employer_id)
    facts = evidence.facts()
    judgements = await judged(
        tenant_id, person, evidence.tier_claimed, facts, contract_end=evidence.contract_end, on=on
    )
    row = dict(
        await store.conn().fetchrow(
            """INSERT INTO talent_applications
                 (tenant_id, id, kind, card_id, person_id, employer_id, tier_claimed, facts, contract_end,
                  application_date, evaluation, created_by, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::jsonb, $12,
                       coalesce($13, now()), coalesce($13, now()))
               RETURNING *""",
            tenant_id, uuid.uuid4(), kind, card_id, evidence.person_id, evidence.employer_id,
            evidence.tier_claimed, json.dumps(facts), evidence.contract_end, on,
            json.dumps(tiers.evaluation_json(evidence.tier_claimed, judgements)), caller.actor.user_id,
            clock.record_time(),
        )
    )  # fmt: skip
    await store.event(tenant_id, caller.actor, None, row, comment)
    return row


async def create(caller: Caller, evidence: Evidence) -> dict[str, Any]:
    """A clerk enters an application (draft), judged at once: 422 with the reasons when the
    evidence does not meet the claimed tier."""
    tenant_id = require(caller, Role.CLERK)
    async with tenant_transaction(caller.context()):
        return await insert(tenant_id, caller, evidence)


async def preview(caller: Caller, evidence: Evidence) -> dict[str, bool]:
    """Which tiers the evidence meets today (for a form refused on the claimed tier); nothing is
    stored. Facts a tier cannot read raise ``ValidationFailed`` like :func:`create`."""
    tenant_id = require(caller, Role.CLERK)
    async with tenant_transaction(caller.context()):
        person = await registry.load_person(evidence.person_id, [tenant_id])
        judged = await tiers.judge_all(
            tenant_id, person, evidence.facts(), evidence.application_date or clock.today()
        )
    return {t: j.eligible for t, j in judged.items()}


async def _rejudge(row: dict[str, Any], tier: str, on: date) -> dict[str, tiers.TierJudgement]:
    person = await registry.load_person(row["person_id"], [row["tenant_id"]])
    facts = store.as_json(row["facts"])
    return await judged(row["tenant_id"], person, tier, facts, contract_end=row["contract_end"], on=on)


async def _locked(
    caller: Caller, tenant_id: UUID, application_id: UUID, version: int | None
) -> dict[str, Any]:
    row = await store.load([tenant_id], application_id, lock=True)
    store.check_version(row, version)
    return row


async def confirm_employer(
    caller: Caller, application_id: UUID, version: int | None, confirmed_by: str | None
) -> dict[str, Any]:
    """Record who confirmed for the employer (单位确认), and when: the application keeps its state."""
    tenant_id = require(caller, Role.CLERK)
    who = (confirmed_by or "").strip()
    if not who:
        raise ValidationFailed({"comment": WHO_CONFIRMED})
    text_rules.refuse_invisible(comment=who)
    async with tenant_transaction(caller.context()):
        row = await _locked(caller, tenant_id, application_id, version)
        if row["state"] not in ("draft", "submitted"):
            raise Conflict(WRONG_STATE)
        new = await store.change(row, {
            "employer_confirmed_by": who[:200], "employer_confirmed_at": clock.now(),
            "employer_recorded_by": caller.actor.user_id,
        })  # fmt: skip
        await store.event(
            tenant_id, caller.actor, row, new, who, action="talent_application.employer_confirmed"
        )
        return new


async def submit(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """draft → submitted (a clerk), re-judged on the application date."""
    tenant_id = require(caller, Role.CLERK)
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await _locked(caller, tenant_id, application_id, version)
        if row["state"] != "draft":
            raise Conflict(WRONG_STATE)
        judgements = await _rejudge(row, row["tier_claimed"], row["application_date"])
        new = await store.change(row, {
            "state": "submitted", "submitted_by": caller.actor.user_id, "submitted_at": clock.now(),
            "evaluation": json.dumps(tiers.evaluation_json(row["tier_claimed"], judgements)),
        })  # fmt: skip
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


async def approve(
    caller: Caller, application_id: UUID, version: int | None, tier: str | None = None,
    comment: str | None = None,
    *, on: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """submitted → approved (a reviewer who did not submit it), for the claimed tier or a lower
    one. Freezes the tier's version; the issuance job issues it (tonight, or "issue now")."""
    tenant_id = require(caller, Role.REVIEWER)
    text_rules.refuse_invisible(comment=comment)
    day = on or clock.today()
    async with tenant_transaction(caller.context()):
        row = await _locked(caller, tenant_id, application_id, version)
        if row["state"] != "submitted":
            raise Conflict(WRONG_STATE)
        if row["submitted_by"] == caller.actor.user_id:
            raise Forbidden(OWN_SUBMISSION)
        chosen = tier or row["tier_claimed"]
        if chosen not in tiers.TIERS:
            raise ValidationFailed({"tier": UNKNOWN_TIER})
        if not tiers.is_lower_or_same(chosen, row["tier_claimed"]):
            raise ValidationFailed({"tier": HIGHER_TIER})
        if row["employer_confirmed_at"] is None:
            raise Conflict(NOT_CONFIRMED)
        if row["contract_end"] <= day:
            raise ValidationFailed({"contract_end": CONTRACT_ENDED})
        judgements = await _rejudge(row, chosen, row["application_date"])
        new = await store.change(row, {
            "state": "approved", "tier_approved": chosen,
            "policy_version_id": judgements[chosen].version.version_id,
            "evaluation": json.dumps(tiers.evaluation_json(row["tier_claimed"], judgements)),
            "decided_by": caller.actor.user_id, "decided_at": clock.now(), "decision_comment": comment,
            "approved_on": day,
        })  # fmt: skip
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


async def reject(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None
) -> dict[str, Any]:
    """submitted → rejected, with a reason (a reviewer who did not submit it)."""
    tenant_id = require(caller, Role.REVIEWER)
    if not (comment or "").strip():
        raise ValidationFailed({"comment": COMMENT_REQUIRED})
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await _locked(caller, tenant_id, application_id, version)
        if row["state"] != "submitted":
            raise Conflict(WRONG_STATE)
        if row["submitted_by"] == caller.actor.user_id:
            raise Forbidden(OWN_SUBMISSION)
        new = await store.change(row, {
            "state": "rejected", "decided_by": caller.actor.user_id, "decided_at": clock.now(),
            "decision_comment": comment,
        })  # fmt: skip
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


async def withdraw(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """draft | submitted → withdrawn (a clerk)."""
    tenant_id = require(caller, Role.CLERK)
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await _locked(caller, tenant_id, application_id, version)
        if row["state"] not in ("draft", "submitted"):
            raise Conflict(WRONG_STATE)
        new = await store.change(row, {"state": "withdrawn"})
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


# ---------------------------------------------------------------- reading


async def get(caller: Caller, application_id: UUID) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    tenant_id = reading_district(caller)
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id)
        return row, await store.history(tenant_id, application_id)


async def list_applications(
    caller: Caller, *, state: str | None = None, person_id: UUID | None = None,
    after: tuple[datetime, UUID] | None = None, limit: int = 50,
) -> list[dict[str, Any]]:  # fmt: skip
    """Newest first, keyset-paginated on (created_at, id)."""
    tenant_id = reading_district(caller)
    unit_sql, unit_arg = within("tenant_id", [tenant_id])
    async with tenant_transaction(caller.context()):
        rows = await store.conn().fetch(
            f"""SELECT * FROM talent_applications WHERE {unit_sql}
                 AND ($2::text IS NULL OR state = $2) AND ($3::uuid IS NULL OR person_id = $3)
                 AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
               ORDER BY created_at DESC, id DESC LIMIT $6""",
            unit_arg, state, person_id, after[0] if after else None, after[1] if after else None, limit,
        )  # fmt: skip
    return [dict(r) for r in rows]
