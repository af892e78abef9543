"""Hong Kong and Macao youth grants (港澳青年资助): plan, submit, approve, reject, withdraw, read.

A clerk plans a grant of one of the HK/MO programs for a registered youth: the programs machinery
judges it (the version in force, the district's override, the youth's other awards, the city-wide
once-per-lifetime gate) and :mod:`renshe.hkmo.plans` cuts the amount into tranches with their
milestones. A reviewer who did not submit it approves it (the database's CHECK backs the
service): the amount and policy version are frozen, the plan is dated from the day of approval,
the first milestone falls due at once, and the ledger records the award. Judged again at approval,
a grant whose amount changed meanwhile (a cap used by another award, a new policy version) is
refused with 409 rather than paid by a stale plan.

Each call is one tenant transaction with its audit record; changes check the ``version`` the
caller read (409 when stale). City roles never see a grant (aggregates only).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import Conflict, Forbidden, ValidationFailed
from renshe.hkmo import clawbacks, ledger, loans, plans
from renshe.hkmo import grant_rows as rows
from renshe.hkmo.youth import READERS, district_of
from renshe.i18n import current_locale, lazy
from renshe.registry import citywide
from renshe.registry.listing import Page
from renshe.registry.service import Caller
from renshe.subsidies.programs import service as programs

STATES = ("draft", "submitted", "approved", "rejected", "withdrawn")

NO_YOUTH = lazy("No such youth in this district's register.")
CONSENT_GONE = lazy("The youth withdrew their consent: no new grant can be planned.")
WRONG_STATE = lazy("This cannot be done in the grant's current state.")
OWN_SUBMISSION = lazy("You submitted this grant: another reviewer must decide it.")
NOT_ELIGIBLE = lazy("The grant is not eligible: see the reasons.")
PLAN_CHANGED = lazy(
    "The grant's amount changed since it was planned (another award or a new policy version): "
    "withdraw it and plan it again."
)
COMMENT_REQUIRED = lazy("Give a reason.")
TOO_LONG = lazy("At most 500 characters.")


@dataclass(frozen=True, slots=True)
class GrantDraft:
    """What a clerk enters to plan a grant."""

    youth_id: UUID
    program_code: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    years: int | None = None  # a rent grant's years (1–3, default 3)
    loan: loans.Loan | None = None  # an interest subsidy's loan


def _comment(comment: str | None, *, required: bool = False) -> str | None:
    cleaned = (comment or "").strip() or None
    if required and cleaned is None:
        raise ValidationFailed({"comment": COMMENT_REQUIRED})
    text_rules.refuse_invisible(comment=cleaned)
    if cleaned is not None and len(cleaned) > 500:
        raise ValidationFailed({"comment": TOO_LONG})
    return cleaned


async def _full(tenant_id: UUID, row: dict[str, Any]) -> dict[str, Any]:
    """The grant with its tranches, ledger, balance, clawbacks and loan."""
    view = await rows.grant_view(tenant_id, row)
    loan = await loans.of_grant(tenant_id, row["id"]) if row["program_code"] == plans.LOAN else None
    return {
        **view, "clawbacks": await clawbacks.of_grant(tenant_id, row["id"], view["ledger"]),
        "loan": loans.view(loan),
    }  # fmt: skip


def judged_facts(facts: Mapping[str, Any], loan: loans.Loan | None) -> dict[str, Any]:
    """The facts the programs machinery judges: a loan's principal and one period's scheduled
    interest (the subsidy of a period is then the program's share of it)."""
    if loan is None:
        return dict(facts)
    return {**facts, "loan_principal_fen": loan.principal_fen, "interest_paid_fen": loan.period_interest_fen}


def _fits(planned: list[plans.PlannedTranche], stored: list[dict[str, Any]]) -> bool:
    return [(p.seq, p.milestone, p.amount_fen) for p in planned] == [
        (t["seq"], t["milestone"], t["amount_fen"]) for t in stored
    ]


async def create(caller: Caller, draft: GrantDraft) -> dict[str, Any]:
    """A draft with its evaluation and planned tranches (201). An ineligible grant is kept as a
    draft with its reasons and no tranches: it cannot be submitted."""
    tenant_id = district_of(caller, Role.CLERK)
    plans.check_program(draft.program_code, draft.years, has_loan=draft.loan is not None)
    loan = draft.loan.checked() if draft.loan is not None and draft.program_code == plans.LOAN else None
    facts = judged_facts(draft.facts, loan)
    on = clock.today()
    async with tenant_transaction(caller.context()):
        youth = await rows.conn().fetchrow(
            "SELECT person_id, consent_withdrawn_at FROM hkmo_youth WHERE tenant_id = $1 AND id = $2",
            tenant_id, draft.youth_id,
        )  # fmt: skip
        if youth is None:
            raise ValidationFailed({"youth_id": NO_YOUTH})
        if youth["consent_withdrawn_at"] is not None:
            raise Conflict(CONSENT_GONE)
        grant_id = uuid.uuid4()
        evaluation, _ = await rows.judge(tenant_id, youth["person_id"], grant_id, draft.program_code,
                                         facts=facts, on=on)  # fmt: skip
        planned = plans.plan(draft.program_code, evaluation, facts, years=draft.years, loan=loan)
        grant = dict(
            await rows.conn().fetchrow(
                """INSERT INTO hkmo_grants (tenant_id, id, youth_id, program_code, facts, evaluation,
                                            amount_fen, applied_on, created_by, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, coalesce($10, now()), coalesce($10, now()))
                   RETURNING *""",
                tenant_id, grant_id, draft.youth_id, draft.program_code,
                json.dumps({**facts, **({"years": draft.years} if draft.years else {})}, ensure_ascii=False),
                json.dumps(evaluation.to_json(), ensure_ascii=False), sum(p.amount_fen for p in planned), on,
                caller.actor.user_id, clock.record_time(),
            )
        )  # fmt: skip
        if loan is not None:
            await loans.insert(tenant_id, grant_id, loan)
        await rows.conn().executemany(
            """INSERT INTO hkmo_tranches (tenant_id, grant_id, seq, milestone, due_on, amount_fen,
                                          scheduled_interest_fen)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [(tenant_id, grant_id, p.seq, p.milestone, p.due_on(on), p.amount_fen, p.scheduled_interest_fen)
             for p in planned],
        )  # fmt: skip
        await audit.record(tenant_id, caller.actor, "hkmo_grant.draft", object_type=rows.GRANT_OBJECT,
                           object_id=grant_id, after=rows.grant_summary(grant))  # fmt: skip
        return await _full(tenant_id, grant)


async def _step(
    caller: Caller, grant_id: UUID, version: int | None, role: Role, allowed_from: tuple[str, ...]
) -> tuple[UUID, dict[str, Any]]:
    """The caller's district and the grant, locked, at the version read and in an allowed state."""
    tenant_id = district_of(caller, role)
    row = await rows.load_grant(tenant_id, grant_id, lock=True)
    if version is not None and row["version"] != version:
        raise Conflict(rows.STALE)
    if row["state"] not in allowed_from:
        raise Conflict(WRONG_STATE)
    return tenant_id, row


async def submit(
    caller: Caller, grant_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """draft → submitted (a clerk); only an eligible grant goes to the reviewer."""
    said = _comment(comment)
    async with tenant_transaction(caller.context()):
        tenant_id, row = await _step(caller, grant_id, version, Role.CLERK, ("draft",))
        if row["amount_fen"] <= 0 or not (rows.as_json(row["evaluation"]) or {}).get("eligible"):
            raise Conflict(NOT_ELIGIBLE)
        new = await rows.change("hkmo_grants", row, {
            "state": "submitted", "submitted_by": caller.actor.user_id, "submitted_at": clock.now(),
        })  # fmt: skip
        await audit.record(tenant_id, caller.actor, "hkmo_grant.submitted", object_type=rows.GRANT_OBJECT,
                           object_id=grant_id, before=rows.grant_summary(row),
                           after={**rows.grant_summary(new), "comment": said})  # fmt: skip
        return await _full(tenant_id, new)


async def approve(
    caller: Caller, grant_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    """submitted → approved (a reviewer who did not submit it): judged again, frozen, dated."""
    said = _comment(comment)
    on = clock.today()
    async with tenant_transaction(caller.context()):
        tenant_id, row = await _step(caller, grant_id, version, Role.REVIEWER, ("submitted",))
        if row["submitted_by"] == caller.actor.user_id:
            raise Forbidden(OWN_SUBMISSION)
        person_id = await rows.conn().fetchval(
            "SELECT person_id FROM hkmo_youth WHERE tenant_id = $1 AND id = $2", tenant_id, row["youth_id"]
        )
        await citywide.serialise(tenant_id, person_id)  # 全市一次性: judge after any approval elsewhere
        facts = rows.as_json(row["facts"]) or {}
        years = facts.pop("years", None)
        evaluation, policy = await rows.judge(
            tenant_id, person_id, grant_id, row["program_code"], facts=facts, on=row["applied_on"]
        )
        if not evaluation.eligible:
            raise Conflict(NOT_ELIGIBLE)
        loan = await loans.of_grant(tenant_id, grant_id)
        planned = plans.plan(row["program_code"], evaluation, facts, years=years, loan=loan)
        stored = await rows.tranches_of(tenant_id, grant_id)
        if not _fits(planned, stored):
            raise Conflict(PLAN_CHANGED)
        new = await rows.change("hkmo_grants", row, {
            "state": "approved", "policy_version_id": policy.version_id,
            "evaluation": json.dumps(evaluation.to_json(), ensure_ascii=False),
            "decided_by": caller.actor.user_id, "decided_at": clock.now(), "decision_comment": said,
        })  # fmt: skip
        for p, t in zip(planned, stored, strict=True):  # dated from today; the first falls due at once
            due_on = p.due_on(on)
            await rows.conn().execute(
                """UPDATE hkmo_tranches
                   SET due_on = $3::date,
                       state = CASE WHEN $3::date <= $4::date THEN 'due' ELSE 'planned' END,
                          version = version + 1, updated_at = coalesce($5, now())
                   WHERE tenant_id = $1 AND id = $2""",
                tenant_id, t["id"], due_on, on, clock.record_time(),
            )  # fmt: skip
        await ledger.append(
            tenant_id, grant_id, "awarded", new["amount_fen"], caller.actor.user_id, note=said
        )
        await audit.record(tenant_id, caller.actor, "hkmo_grant.approved", object_type=rows.GRANT_OBJECT,
                           object_id=grant_id, before=rows.grant_summary(row),
                           after={**rows.grant_summary(new), "comment": said})  # fmt: skip
        return await _full(tenant_id, new)


async def _close(
    caller: Caller, grant_id: UUID, version: int | None, to: str, comment: str | None
) -> dict[str, Any]:
    """submitted → rejected (a reviewer), draft | submitted → withdrawn (a clerk): the tranches are
    cancelled with the reason (nothing was awarded, so the ledger has nothing to undo)."""
    said = _comment(comment, required=to == "rejected")
    role, allowed = (
        (Role.REVIEWER, ("submitted",)) if to == "rejected" else (Role.CLERK, ("draft", "submitted"))
    )
    async with tenant_transaction(caller.context()):
        tenant_id, row = await _step(caller, grant_id, version, role, allowed)
        if to == "rejected" and row["submitted_by"] == caller.actor.user_id:
            raise Forbidden(OWN_SUBMISSION)
        decided = {"decided_by": caller.actor.user_id, "decided_at": clock.now(), "decision_comment": said}
        new = await rows.change("hkmo_grants", row, {"state": to, **(decided if to == "rejected" else {})})
        await rows.conn().execute(
            """UPDATE hkmo_tranches SET state = 'cancelled', cancel_reason = $3, version = version + 1,
                      updated_at = now()
               WHERE tenant_id = $1 AND grant_id = $2 AND state IN ('planned', 'due')""",
            tenant_id, grant_id, said or to,
        )  # fmt: skip
        action = "hkmo_grant.rejected" if to == "rejected" else "hkmo_grant.withdrawn"
        await audit.record(tenant_id, caller.actor, action, object_type=rows.GRANT_OBJECT,
                           object_id=grant_id, before=rows.grant_summary(row),
                           after={**rows.grant_summary(new), "comment": said})  # fmt: skip
        return await _full(tenant_id, new)


async def reject(caller: Caller, grant_id: UUID, version: int | None, comment: str | None) -> dict[str, Any]:
    return await _close(caller, grant_id, version, "rejected", comment)


async def withdraw(
    caller: Caller, grant_id: UUID, version: int | None, comment: str | None = None
) -> dict[str, Any]:
    return await _close(caller, grant_id, version, "withdrawn", comment)


# ---------------------------------------------------------------- reading


async def get(caller: Caller, grant_id: UUID) -> dict[str, Any]:
    """One grant with its tranches, ledger and balance (district roles)."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        return await _full(tenant_id, await rows.load_grant_viewed(tenant_id, grant_id))


async def listed(
    caller: Caller, *, state: str | None = None, youth_id: UUID | None = None, limit: int = 50,
    after: tuple[datetime, UUID] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The district's grants, newest first, after the ``(created_at, id)`` of a previous page's last."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        found = await rows.conn().fetch(
            rows.VIEWED  # each grant with its youth's name: not a query per grant
            + """ WHERE g.tenant_id = $1 AND ($2::text IS NULL OR g.state = $2)
                 AND ($3::uuid IS NULL OR g.youth_id = $3)
                 AND ($4::timestamptz IS NULL OR (g.created_at, g.id) < ($4, $5::uuid))
               ORDER BY g.created_at DESC, g.id DESC LIMIT $6""",
            tenant_id, state if state in STATES else None, youth_id, after[0] if after else None,
            after[1] if after else None, limit,
        )  # fmt: skip
        return await rows.grant_views(tenant_id, found)


async def page_of(caller: Caller, *, state: str | None = None, number: int = 1, size: int = 50) -> Page[Any]:
    """One page of the district's grants, newest first, with the youth's masked name, and how many."""
    tenant_id = district_of(caller, *READERS)
    state = state if state in STATES else None
    async with tenant_transaction(caller.context()):
        total = await rows.conn().fetchval(
            "SELECT count(*) FROM hkmo_grants WHERE tenant_id = $1 AND ($2::text IS NULL OR state = $2)",
            tenant_id, state,
        )  # fmt: skip
        found = await rows.conn().fetch(
            rows.VIEWED
            + """ WHERE g.tenant_id = $1 AND ($2::text IS NULL OR g.state = $2)
               ORDER BY g.created_at DESC, g.id DESC LIMIT $3 OFFSET $4""",
            tenant_id, state, size, (number - 1) * size,
        )  # fmt: skip
        items = await rows.grant_views(tenant_id, found)
        return Page(items, total, number, size)


async def program_names(caller: Caller) -> dict[str, str]:
    """The HK/MO programs of the catalogue: code → name in the reader's language."""
    async with tenant_transaction(caller.context()):
        found = await programs.list_programs(family="hkmo")
    english = current_locale.get() == "en"
    return {p.info.code: p.info.name_en if english else p.info.name_zh for p in found}


async def record_export(caller: Caller, rows: int, file_format: str, state: str | None) -> None:
    """Every export of the grants list leaves an audit record: how many rows, which filter, which format."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        await audit.record(
            tenant_id, caller.actor, "hkmo_grant_list.exported", object_type="hkmo_grant_list",
            after={"rows": rows, "format": file_format, "state": state},
        )  # fmt: skip
