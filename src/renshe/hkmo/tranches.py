"""Milestones of a grant's tranches (里程碑): the clerk records the evidence, a reviewer who did
not record it decides.

* Met: the tranche becomes a payable award (:mod:`renshe.subsidies.applications.granted`) for
  the next nightly batch — same bank file, same reconciliation as every other award — and the
  ledger records the release. The award's state then carries the tranche along (``in_batch``,
  ``paid``, ``payment_failed``) by a database trigger.
* Not met: this tranche and every later one still open are cancelled with the reason, each
  cancellation in the ledger.

A milestone recorded before it falls due, recorded twice, or decided twice (two reviewers at
once: the second waits for the first's lock, then finds it decided) answers 409 and changes
nothing; the database's unique ledger entries back the service up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe import clock, date_range, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import Conflict, Forbidden, ValidationFailed
from renshe.hkmo import grant_rows as rows
from renshe.hkmo import ledger, loans
from renshe.hkmo.youth import READERS, district_of
from renshe.i18n import gettext, lazy
from renshe.registry import repository as registry
from renshe.registry.service import Caller
from renshe.subsidies.applications import granted
from renshe.subsidies.programs import service as programs

MAX_DOCUMENTS = 20

NOT_DUE_YET = lazy("This milestone falls due on %(date)s: its evidence cannot be recorded before then.")
ALREADY_RECORDED = lazy("The evidence of this milestone is already recorded: a reviewer decides it next.")
NOT_OPEN = lazy("This milestone was already decided.")
NO_EVIDENCE = lazy("The clerk has not recorded the evidence of this milestone yet.")
OWN_EVIDENCE = lazy("You recorded this evidence: another reviewer must decide it.")
GRANT_NOT_APPROVED = lazy("The grant is not approved.")
REASON_REQUIRED = lazy("Give the reason the milestone was not met.")
BAD_DOCUMENT = lazy(
    "Each document needs a name (at most 200 characters) and a date that is not in the future."
)
TOO_MANY = lazy("At most 20 documents.")
TOO_LONG = lazy("At most %(limit)s characters.")
MET_COMMENT = "第 %(seq)s 期里程碑已确认达成"  # the award's timeline names its tranche
NO_INTEREST = "银行凭证显示本期未付利息，贷款已结清"  # a loan repaid early: nothing more to subsidise
LESS_INTEREST = "实付利息少于计划，差额不予发放"


@dataclass(frozen=True, slots=True)
class Document:
    """An attachment as the clerk saw it: its name and date (the file stays on paper or in the
    document system; 材料名称与日期)."""

    name: str
    dated: date


@dataclass(frozen=True, slots=True)
class Evidence:
    met: bool
    note: str | None = None
    documents: tuple[Document, ...] = ()
    interest_paid_fen: int | None = None  # a loan period's statement: the interest the bank shows paid


def _checked(evidence: Evidence, today: date) -> tuple[str | None, list[dict[str, str]]]:
    errors: dict[str, str] = {}
    note = (evidence.note or "").strip() or None
    if note is not None and (problem := text_rules.invisible_error(note)):
        errors["evidence"] = problem
    elif note is not None and len(note) > 1000:
        errors["evidence"] = gettext(TOO_LONG) % {"limit": 1000}
    if len(evidence.documents) > MAX_DOCUMENTS:
        errors["documents"] = TOO_MANY
    for i, d in enumerate(evidence.documents):
        name = d.name.strip()
        if not name or len(name) > 200 or text_rules.has_invisible(name) or not date_range.in_range(d.dated) \
                or d.dated > today:  # fmt: skip
            errors[f"documents.{i}"] = BAD_DOCUMENT
    if errors:
        raise ValidationFailed(errors)
    return note, [{"name": d.name.strip(), "dated": d.dated.isoformat()} for d in evidence.documents]


async def _open_tranche(
    tenant_id: UUID, tranche_id: UUID, version: int | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The tranche (locked) and its grant, which must be approved."""
    tranche = await rows.load_tranche(tenant_id, tranche_id, lock=True)
    if version is not None and tranche["version"] != version:
        raise Conflict(rows.STALE)
    grant = await rows.load_grant(tenant_id, tranche["grant_id"])
    if grant["state"] != "approved":
        raise Conflict(GRANT_NOT_APPROVED)
    return tranche, grant


async def record_milestone(
    caller: Caller, tranche_id: UUID, evidence: Evidence, version: int | None = None
) -> dict[str, Any]:
    """The clerk's evidence for a tranche whose milestone is due; 409 before it falls due, after
    it was recorded, or once decided."""
    tenant_id = district_of(caller, Role.CLERK)
    today = clock.today()
    note, documents = _checked(evidence, today)
    async with tenant_transaction(caller.context()):
        tranche, _ = await _open_tranche(tenant_id, tranche_id, version)
        if tranche["state"] == "planned":
            raise Conflict(NOT_DUE_YET, date=tranche["due_on"].isoformat())
        if tranche["state"] != "due":
            raise Conflict(NOT_OPEN)
        if tranche["evidence_by"] is not None:
            raise Conflict(ALREADY_RECORDED)
        statement: dict[str, Any] = {}
        if tranche["milestone"] == "interest_statement" and evidence.met:
            paid = loans.statement_checked(evidence.interest_paid_fen, tranche["scheduled_interest_fen"])
            statement = {"interest_paid_fen": paid}
        new = await rows.change("hkmo_tranches", tranche, {
            "evidence_met": evidence.met, "evidence_note": note, "evidence_files": json.dumps(documents,
            ensure_ascii=False), "evidence_by": caller.actor.user_id, "evidence_at": clock.now(), **statement,
        })  # fmt: skip
        await audit.record(
            tenant_id, caller.actor, "hkmo_tranche.milestone_recorded", object_type=rows.TRANCHE_OBJECT,
            object_id=tranche_id, before={"state": tranche["state"]},
            after={"state": new["state"], "met": evidence.met, "documents": len(documents),
                   "grant_id": str(tranche["grant_id"]), "seq": tranche["seq"]},
        )  # fmt: skip
        return rows.tranche_view(new)


async def decide(
    caller: Caller, tranche_id: UUID, met: bool, comment: str | None, version: int | None = None
) -> dict[str, Any]:
    """A reviewer who did not record the evidence decides the milestone (met → payable; not met →
    this and the later tranches cancelled)."""
    tenant_id = district_of(caller, Role.REVIEWER)
    said = (comment or "").strip() or None
    if not met and said is None:
        raise ValidationFailed({"comment": REASON_REQUIRED})
    text_rules.refuse_invisible(comment=said)
    if said is not None and len(said) > 500:
        raise ValidationFailed({"comment": gettext(TOO_LONG) % {"limit": 500}})
    on = clock.today()
    async with tenant_transaction(caller.context()):
        tranche, grant = await _open_tranche(tenant_id, tranche_id, version)
        if tranche["state"] != "due":
            raise Conflict(NOT_OPEN)
        if tranche["evidence_by"] is None:
            raise Conflict(NO_EVIDENCE)
        if tranche["evidence_by"] == caller.actor.user_id:
            raise Forbidden(OWN_EVIDENCE)
        decided = {"decided_met": met, "decided_by": caller.actor.user_id, "decided_at": clock.now(),
                   "decision_comment": said}  # fmt: skip
        if met:
            new = await _release(tenant_id, caller, grant, tranche, decided=decided, on=on)
        else:
            new = await _cancel_from(tenant_id, caller, grant, tranche, decided=decided, reason=said or "")
        await audit.record(
            tenant_id, caller.actor, "hkmo_tranche.met" if met else "hkmo_tranche.missed",
            object_type=rows.TRANCHE_OBJECT, object_id=tranche_id, before={"state": tranche["state"]},
            after={"state": new["state"], "grant_id": str(grant["id"]), "seq": tranche["seq"],
                   "amount_fen": tranche["amount_fen"], "comment": said,
                   "award_id": str(new["award_id"]) if new["award_id"] else None},
        )  # fmt: skip
        return rows.tranche_view(new)


async def _release(
    tenant_id: UUID, caller: Caller, grant: dict[str, Any], tranche: dict[str, Any], *,
    decided: dict[str, Any],
    on: date,
) -> dict[str, Any]:  # fmt: skip
    person_id = await rows.conn().fetchval(
        "SELECT person_id FROM hkmo_youth WHERE tenant_id = $1 AND id = $2", tenant_id, grant["youth_id"]
    )
    policy = await programs.version_by_id(grant["policy_version_id"], tenant_id)
    amount = tranche["amount_fen"]
    if tranche["interest_paid_fen"] is not None:  # a loan period: the share of what was paid
        amount = min(amount, await _period_subsidy(tenant_id, grant, person_id, policy, tranche))
        if amount <= 0:
            return await _cancel_from(tenant_id, caller, grant, tranche, decided=decided, reason=NO_INTEREST)
    award = await granted.make_ready(tenant_id, caller.actor, granted.GrantedAward(
        program_code=grant["program_code"], person_id=person_id, amount_fen=amount,
        policy_version_id=grant["policy_version_id"], facts=rows.as_json(grant["facts"]) or {},
        evaluation=rows.as_json(grant["evaluation"]),
        once_per_lifetime=grant["program_code"] in policy.terms.eligibility.once_codes(),
        comment=MET_COMMENT % {"seq": tranche["seq"]}, asked_by=tranche["evidence_by"],
    ), on)  # fmt: skip
    new = await rows.change(
        "hkmo_tranches", tranche, {"state": "ready", "award_id": award["id"], "amount_fen": amount, **decided}
    )
    await ledger.append(tenant_id, grant["id"], "released", amount, caller.actor.user_id,
                        tranche_id=tranche["id"], note=decided["decision_comment"])  # fmt: skip
    if amount < tranche["amount_fen"]:  # the rest of what the schedule allowed will never be paid
        await ledger.append(tenant_id, grant["id"], "cancelled", tranche["amount_fen"] - amount,
                            caller.actor.user_id, tranche_id=tranche["id"], note=LESS_INTEREST)  # fmt: skip
    return new


async def _period_subsidy(
    tenant_id: UUID,
    grant: dict[str, Any],
    person_id: UUID,
    policy: programs.PolicyVersion,
    tranche: dict[str, Any],
) -> int:
    """The program's share of the interest the bank's statement shows paid for the period, judged
    by the grant's frozen policy version on its application date."""
    person = await registry.load_person(person_id, [tenant_id])
    facts = {**(rows.as_json(grant["facts"]) or {}), "interest_paid_fen": tranche["interest_paid_fen"]}
    facts.pop("years", None)
    if tranche["interest_paid_fen"] <= 0:
        return 0
    evaluation = await programs.evaluate(
        policy, facts, programs.beneficiary_of_person(person), (), application_date=grant["applied_on"]
    )
    return evaluation.amount_fen


async def _cancel_from(
    tenant_id: UUID, caller: Caller, grant: dict[str, Any], tranche: dict[str, Any], *,
    decided: dict[str, Any],
    reason: str,
) -> dict[str, Any]:  # fmt: skip
    new = await rows.change(
        "hkmo_tranches", tranche, {"state": "cancelled", "cancel_reason": reason, **decided}
    )
    later = await rows.conn().fetch(
        """UPDATE hkmo_tranches SET state = 'cancelled', cancel_reason = $4, version = version + 1,
                  updated_at = coalesce($5, now())
           WHERE tenant_id = $1 AND grant_id = $2 AND seq > $3 AND state IN ('planned', 'due')
           RETURNING id, amount_fen""",
        tenant_id, grant["id"], tranche["seq"], reason, clock.record_time(),
    )  # fmt: skip
    for t in [{"id": tranche["id"], "amount_fen": tranche["amount_fen"]}, *map(dict, later)]:
        await ledger.append(tenant_id, grant["id"], "cancelled", t["amount_fen"], caller.actor.user_id,
                            tranche_id=t["id"], note=reason)  # fmt: skip
    return new


async def get(caller: Caller, tranche_id: UUID) -> dict[str, Any]:
    """One tranche of the district (district roles; 404 alike for missing and another district's)."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        return rows.tranche_view(await rows.load_tranche(tenant_id, tranche_id))
