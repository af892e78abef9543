"""Applications service (补贴申请): create a draft with the eligibility evaluation and the computed
entitlement, submit, approve (maker-checker; freezes amount, policy version, budget year and
payee snapshot; reserves the budget; opens the public notice), reject, withdraw.

Each call opens one tenant transaction for its caller; every transition writes an
``application_events`` row and an audit record in that transaction, and is refused with 409 when
the ``version`` the caller read is stale (optimistic locking).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction, within
from renshe.errors import Conflict, Forbidden, ValidationFailed
from renshe.i18n import lazy
from renshe.registry import citywide
from renshe.registry import repository as registry
from renshe.registry.service import Caller
from renshe.subsidies.applications import notice, store
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.model import Evaluation, PriorAward

SHANGHAI = store.SHANGHAI
today = store.today

# States whose award counts as received for the beneficiary's caps.
AWARDED = ("approved", "in_notice", "on_hold", "ready", "in_batch", "paid", "payment_failed")

WRONG_STATE = lazy("This cannot be done in the application's current state.")
OWN_SUBMISSION = lazy("You submitted this application: another reviewer must decide it.")
NOT_ELIGIBLE = lazy("The application is not eligible.")
ONE_BENEFICIARY = lazy("Choose either a person or an enterprise.")
GRANT_NOT_APPLICATION = lazy(
    "Hong Kong and Macao youth grants are planned as grants from the youth's page, not applied for "
    "as subsidies."
)
# Programs paid through awards that another domain makes (renshe.hkmo: a grant's tranches become
# awards when a milestone is met): never entered as an application, so the money has one way in.
NOT_APPLIED_FOR = ("hkmo",)
COMMENT_REQUIRED = lazy("Give a reason.")


@dataclass(frozen=True, slots=True)
class Draft:
    program_code: str
    person_id: UUID | None = None
    enterprise_id: UUID | None = None
    facts: Mapping[str, Any] | None = None
    application_date: date | None = None


def _require(caller: Caller, *roles: Any) -> UUID:
    """The caller's district, if they hold one of ``roles`` there (403 otherwise)."""
    p = caller.principal
    if not (p.is_district and p.has(*roles)):
        raise Forbidden()
    return p.org_unit.id


def _refuse(action: str) -> Conflict:
    """``action`` names the refused step for the reader of the code; the message is generic."""
    del action
    return Conflict(WRONG_STATE)


async def _history(row: Mapping[str, Any]) -> list[PriorAward]:
    """The beneficiary's awards in this district (not this application) for the caps."""
    rows = await store.conn().fetch(
        """SELECT program_code, amount_fen, coalesce(decided_at, created_at)::date AS on_day
           FROM applications WHERE tenant_id = $1 AND id <> $2 AND state = ANY($3::text[])
             AND (person_id = $4 OR enterprise_id = $5) AND amount_fen IS NOT NULL""",
        row["tenant_id"], row["id"], list(AWARDED), row["person_id"], row["enterprise_id"],
    )  # fmt: skip
    return [PriorAward(r["program_code"], r["amount_fen"], r["on_day"]) for r in rows]


async def _evaluate(row: Mapping[str, Any]) -> tuple[Evaluation, programs.PolicyVersion]:
    tenant_id, on = row["tenant_id"], row["application_date"]
    version = await programs.version_in_force(row["program_code"], tenant_id, on)
    prior: programs.PriorReceipt | None = None
    if row["person_id"] is not None:
        person = await registry.load_person(row["person_id"], [tenant_id])
        beneficiary = programs.beneficiary_of_person(person)
        prior = programs.citywide_receipts(tenant_id, person.id)
    else:
        enterprise = await registry.load_enterprise(row["enterprise_id"], [tenant_id])
        beneficiary = programs.beneficiary_of_enterprise(enterprise)
    evaluation = await programs.evaluate(
        version, store.as_json(row["facts"]), beneficiary, await _history(row),
        application_date=on, prior_receipt=prior,
    )  # fmt: skip
    return evaluation, version


# ---------------------------------------------------------------- transitions


async def _judged_draft(tenant_id: UUID, draft: Draft) -> tuple[dict[str, Any], Evaluation]:
    """The draft's row-to-be and its evaluation, inside the caller's open transaction. The
    beneficiary first: another district's id answers 404 exactly like a missing one; facts of
    the wrong type answer 422 before anything is stored."""
    if draft.person_id is not None:
        await registry.load_person(draft.person_id, [tenant_id])
    else:
        assert draft.enterprise_id is not None
        await registry.load_enterprise(draft.enterprise_id, [tenant_id])
    row = {
        "tenant_id": tenant_id, "id": uuid.uuid4(), "program_code": draft.program_code,
        "person_id": draft.person_id, "enterprise_id": draft.enterprise_id,
        "application_date": draft.application_date or today(), "facts": dict(draft.facts or {}),
    }  # fmt: skip
    evaluation, version = await _evaluate(row)
    if version.program.family in NOT_APPLIED_FOR:
        raise ValidationFailed({"program_code": GRANT_NOT_APPLICATION})
    return row, evaluation


def _clerks_district(caller: Caller, draft: Draft) -> UUID:
    """The clerk's district, for a draft naming exactly one beneficiary."""
    tenant_id = _require(caller, Role.CLERK)
    if (draft.person_id is None) == (draft.enterprise_id is None):
        raise ValidationFailed({"person_id": ONE_BENEFICIARY})
    return tenant_id


async def create(caller: Caller, draft: Draft) -> dict[str, Any]:
    """A clerk enters an application (draft): judged at once, the reasons kept on the row."""
    tenant_id = _clerks_district(caller, draft)
    async with tenant_transaction(caller.context()):
        row, evaluation = await _judged_draft(tenant_id, draft)
        facts = row.pop("facts")
        row = dict(
            await store.conn().fetchrow(
                """INSERT INTO applications (tenant_id, id, program_code, person_id, enterprise_id,
                                             application_date, facts, evaluation, amount_fen, created_by,
                                             created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, coalesce($11, now()),
                           coalesce($11, now()))
                   RETURNING *""",
                *row.values(),
                store.json.dumps(facts),
                store.json.dumps(evaluation.to_json()),
                evaluation.amount_fen,
                caller.actor.user_id,
                clock.record_time(),  # the demo's business date; otherwise the database's now()
            )
        )
        await store.event(tenant_id, caller.actor, None, row)
        return row


async def assess(caller: Caller, draft: Draft) -> Evaluation:
    """What :func:`create` would judge, storing nothing (the clerk's form shows the reasons of
    an ineligible application before any draft exists)."""
    tenant_id = _clerks_district(caller, draft)
    async with tenant_transaction(caller.context()):
        return (await _judged_draft(tenant_id, draft))[1]


async def submit(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """draft → submitted (a clerk); only an eligible application goes to the reviewer."""
    tenant_id = _require(caller, Role.CLERK)
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id, lock=True)
        store.check_version(row, version)
        if row["state"] != "draft":
            raise _refuse("submitted")
        evaluation, _ = await _evaluate(row)
        if not evaluation.eligible:
            raise Conflict(NOT_ELIGIBLE)
        new = await store.change(row, {
            "state": "submitted", "submitted_by": caller.actor.user_id,
            "submitted_at": clock.now(), "evaluation": store.json.dumps(evaluation.to_json()),
            "amount_fen": evaluation.amount_fen,
        })  # fmt: skip
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


async def approve(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None = None,
    *, on: date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """submitted → approved → in_notice (a reviewer who did not submit it).

    Freezes the amount (re-judged by the version in force on the application date), that
    version's id, the budget year and the payee snapshot, reserves the amount against the
    district's budget (``OverBudget`` 409 when it does not fit) and opens the notice window."""
    tenant_id = _require(caller, Role.REVIEWER)
    text_rules.refuse_invisible(comment=comment)
    day = on or today()
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id, lock=True)
        store.check_version(row, version)
        if row["state"] != "submitted":
            raise _refuse("approved")
        if row["submitted_by"] == caller.actor.user_id:
            raise Forbidden(OWN_SUBMISSION)
        if row["person_id"] is not None:  # 全市一次性: judge after any approval of this person elsewhere
            await citywide.serialise(tenant_id, row["person_id"])
        evaluation, policy = await _evaluate(row)
        if not evaluation.eligible or evaluation.amount_fen <= 0:
            raise Conflict(NOT_ELIGIBLE)
        await store.reserve(tenant_id, row["program_code"], day.year, evaluation.amount_fen)
        frozen = {
            "state": "approved", "amount_fen": evaluation.amount_fen, "policy_version_id": policy.version_id,
            "budget_year": day.year, "evaluation": store.json.dumps(evaluation.to_json()),
            "decided_by": caller.actor.user_id, "decided_at": clock.now(),
            "decision_comment": comment,
            **await store.payee_snapshot(row),
        }  # fmt: skip
        approved = await store.change(row, frozen)
        if row["person_id"] is not None:  # held city-wide until paid or ended unpaid
            await citywide.claim_program(
                tenant_id, row["person_id"], row["program_code"], row["id"], on=day,
                exclusive=row["program_code"] in policy.terms.eligibility.once_codes(),
            )  # fmt: skip
        await store.event(tenant_id, caller.actor, row, approved, comment)
        return await notice.open_notice(tenant_id, caller.actor, approved, day)


async def reject(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None
) -> dict[str, Any]:
    """submitted → rejected, with a reason (nothing was reserved, so nothing is released)."""
    tenant_id = _require(caller, Role.REVIEWER)
    if not (comment or "").strip():
        raise ValidationFailed({"comment": COMMENT_REQUIRED})
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id, lock=True)
        store.check_version(row, version)
        if row["state"] != "submitted":
            raise _refuse("rejected")
        if row["submitted_by"] == caller.actor.user_id:
            raise Forbidden(OWN_SUBMISSION)
        new = await store.change(row, {
            "state": "rejected", "decided_by": caller.actor.user_id,
            "decided_at": clock.now(), "decision_comment": comment,
        })  # fmt: skip
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


async def withdraw(
    caller: Caller, application_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """draft | submitted → withdrawn (a clerk)."""
    tenant_id = _require(caller, Role.CLERK)
    text_rules.refuse_invisible(comment=comment)
    async with tenant_transaction(caller.context()):
        row = await store.load([tenant_id], application_id, lock=True)
        store.check_version(row, version)
        if row["state"] not in ("draft", "submitted"):
            raise _refuse("withdrawn")
        new = await store.change(row, {"state": "withdrawn"})
        await store.event(tenant_id, caller.actor, row, new, comment)
        return new


# ---------------------------------------------------------------- reading


async def get(caller: Caller, application_id: UUID) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One application and its timeline (any reader of the district)."""
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        row = await store.load(list(units), application_id)
        return row, await store.history(row["tenant_id"], application_id)


async def list_applications(
    caller: Caller, *, state: str | None = None, program_code: str | None = None,
    after: tuple[datetime, UUID] | None = None, limit: int = 50,
) -> list[dict[str, Any]]:  # fmt: skip
    """Newest first, keyset-paginated on (created_at, id)."""
    unit_sql, unit_arg = within("tenant_id", caller.reading())
    async with tenant_transaction(caller.context()):
        rows = await store.conn().fetch(
            f"""SELECT * FROM applications WHERE {unit_sql}
                 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR program_code = $3)
                 AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
               ORDER BY created_at DESC, id DESC LIMIT $6""",
            unit_arg, state, program_code, after[0] if after else None, after[1] if after else None, limit,
        )  # fmt: skip
    return [dict(r) for r in rows]
