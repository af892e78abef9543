"""HK/MO youth grants API (``/api/v1/hkmo/grants``, ``/tranches``, ``/clawbacks``).

Thin: parse, call :mod:`renshe.hkmo.grants`, :mod:`renshe.hkmo.tranches` or
:mod:`renshe.hkmo.clawbacks`, shape the answer. District roles only; another district's grant,
tranche or clawback answers 404 exactly like a missing one. Amounts are integer fen.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.api.openapi import rule
from renshe.api.pagination import Limit, bad_cursor, clamp_limit, decode_cursor, encode_cursor
from renshe.hkmo import clawbacks, grants, loans, plans, tranches
from renshe.hkmo.youth import READERS
from renshe.registry.api import caller

Req = Request[Any, Any, Any]
READ = requires_roles(*READERS)
CLERK = requires_roles(Role.CLERK)
REVIEWER = requires_roles(Role.REVIEWER)
TAGS = ["hong kong and macao youth"]
Comment = Annotated[str, rule(max_length=500)]
Fen = Annotated[int, rule(minimum=1)]
# ``state`` is a reserved name in Litestar handlers
StateFilter = Annotated[str | None, QueryParameter(name="state", schema_extra={"enum": list(grants.STATES)})]


class LoanIn(msgspec.Struct):
    """乐业五邑贷: the guaranteed start-up loan an interest subsidy is for."""

    bank: Annotated[str, rule(max_length=100)]
    principal_fen: Annotated[int, rule(minimum=1)]
    annual_rate_bp: Annotated[int, rule(minimum=1, maximum=loans.MAX_RATE_BP)]  # 3.65% = 365
    term_months: Annotated[int, rule(minimum=1, maximum=120)]
    period_months: Annotated[int, rule(enum=list(loans.PERIODS))]
    starts_on: date


class LoanOut(msgspec.Struct):
    bank: str
    principal_fen: int
    annual_rate_bp: int
    term_months: int
    period_months: int
    starts_on: date
    period_interest_fen: int  # what the schedule allows a period (interest-only)


Years = Annotated[int, rule(minimum=1, maximum=plans.MAX_RENT_YEARS)]


class GrantIn(msgspec.Struct):
    youth_id: UUID
    program_code: Annotated[str, rule(enum=sorted(plans.PLANNED))]
    facts: dict[str, Any] = msgspec.field(default_factory=dict)
    years: Years | None = None  # rent only: 1–3, default 3
    loan: LoanIn | None = None  # hkmo_loan_interest only


class GrantStepIn(msgspec.Struct):
    version: int
    comment: Comment | None = None


class EvidenceDocumentIn(msgspec.Struct):
    name: Annotated[str, rule(max_length=200)]
    dated: date


class MilestoneIn(msgspec.Struct):
    met: bool
    evidence: Annotated[str, rule(max_length=1000)] | None = None  # what the clerk saw
    documents: Annotated[list[EvidenceDocumentIn], rule(max_items=tranches.MAX_DOCUMENTS)] = msgspec.field(
        default_factory=list
    )
    interest_paid_fen: int | None = None  # a loan period: the interest the bank's statement shows paid
    version: int | None = None


class DecisionIn(msgspec.Struct):
    met: bool
    comment: Comment | None = None  # required when not met: the reason the rest is cancelled
    version: int | None = None


class ClawbackIn(msgspec.Struct):
    amount_fen: Fen
    reason: Comment


class RecoveryIn(msgspec.Struct):
    amount_fen: Fen
    note: Comment | None = None


class WriteOffIn(msgspec.Struct):
    reason: Comment


class TrancheOut(msgspec.Struct):
    id: UUID
    grant_id: UUID
    seq: int
    due_on: date
    milestone: str
    milestone_label: str
    amount_fen: int
    state: str  # planned | due | ready | in_batch | paid | payment_failed | cancelled
    evidence_met: bool | None
    evidence_note: str | None
    evidence_files: list[dict[str, Any]]
    evidence_at: datetime | None
    decided_met: bool | None
    decided_at: datetime | None
    decision_comment: str | None
    cancel_reason: str | None
    award_id: UUID | None  # the payable award (an application) once the milestone is met
    scheduled_interest_fen: int | None  # a loan period: the interest its schedule allows
    interest_paid_fen: int | None  # … and what the bank's statement shows paid
    version: int


class LedgerEntryOut(msgspec.Struct):
    kind: str  # awarded | released | paid | failed | cancelled | clawback_owed | recovered | written_off
    amount_fen: int
    at: datetime
    tranche_seq: int | None
    clawback_id: UUID | None
    note: str | None


class ClawbackOut(msgspec.Struct):
    id: UUID
    grant_id: UUID
    amount_fen: int
    reason: str
    recorded_at: datetime
    recovered_fen: int
    written_off_fen: int
    outstanding_fen: int
    state: str  # owed | partly_recovered | recovered | written_off


class GrantOut(msgspec.Struct):
    id: UUID
    youth_id: UUID
    youth_name: str  # masked; *** after the youth withdrew consent
    program_code: str
    amount_fen: int
    applied_on: date
    state: str
    facts: dict[str, Any]
    evaluation: dict[str, Any] | None  # eligible, reasons, breakdown, caps
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_comment: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    tranches: list[TrancheOut]
    ledger: list[LedgerEntryOut] | None = None
    balance: dict[str, int] | None = None  # derived from the ledger, never stored
    clawbacks: list[ClawbackOut] | None = None
    loan: LoanOut | None = None


class GrantList(msgspec.Struct):
    items: list[GrantOut]
    next_cursor: str | None = None


def tranche_out(t: dict[str, Any]) -> TrancheOut:
    fields = {f: t[f] for f in TrancheOut.__struct_fields__ if f != "milestone_label"}
    return TrancheOut(**{**fields, "milestone_label": plans.milestone_label(t["milestone"])})


def grant_out(g: dict[str, Any]) -> GrantOut:
    skip = {"tranches", "ledger", "clawbacks", "loan"}
    plain: dict[str, Any] = {f: g.get(f) for f in GrantOut.__struct_fields__ if f not in skip}
    return GrantOut(
        **plain,
        tranches=[tranche_out(t) for t in g["tranches"]],
        ledger=None if "ledger" not in g else [
            LedgerEntryOut(e["kind"], e["amount_fen"], e["at"], e["tranche_seq"], e["clawback_id"], e["note"])
            for e in g["ledger"]
        ],
        clawbacks=None if "clawbacks" not in g else [ClawbackOut(**c) for c in g["clawbacks"]],
        loan=LoanOut(**g["loan"]) if g.get("loan") else None,
    )  # fmt: skip


@post("/api/v1/hkmo/grants", name="api.hkmo.grants.create", guards=[CLERK], tags=TAGS, status_code=201,
      opt={"problems": (409, 422)})  # fmt: skip
async def create_grant(request: Req, data: JSONBody[GrantIn]) -> GrantOut:
    """Plan a grant (draft): judged at once by the program's version in force and cut into
    tranches with milestones; ``evaluation.reasons`` says why when it is not eligible."""
    loan = None if data.loan is None else loans.Loan(
        data.loan.bank, data.loan.principal_fen, data.loan.annual_rate_bp, data.loan.term_months,
        data.loan.period_months, data.loan.starts_on,
    )  # fmt: skip
    draft = grants.GrantDraft(data.youth_id, data.program_code, data.facts, data.years, loan)
    return grant_out(await grants.create(caller(request), draft))


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), UUID(key[1])
    except (ValueError, IndexError, TypeError):
        raise bad_cursor() from None


@get("/api/v1/hkmo/grants", name="api.hkmo.grants.list", guards=[READ], tags=TAGS)
async def list_grants(
    request: Req, state_filter: StateFilter = None,
    youth_id: FromQuery[UUID | None] = None, cursor: FromQuery[str | None] = None, limit: Limit = None,
) -> GrantList:  # fmt: skip
    """The district's grants, newest first, with their tranches; ``next_cursor`` fetches more."""
    size = clamp_limit(limit)
    found = await grants.listed(caller(request), state=state_filter, youth_id=youth_id, limit=size + 1,
                                after=_after(cursor))  # fmt: skip
    more, found = len(found) > size, found[:size]
    next_cursor = encode_cursor([found[-1]["created_at"].isoformat(), str(found[-1]["id"])]) if more else None
    return GrantList([grant_out(g) for g in found], next_cursor=next_cursor)


@get("/api/v1/hkmo/grants/{grant_id:uuid}", name="api.hkmo.grants.get", guards=[READ], tags=TAGS)
async def get_grant(request: Req, grant_id: FromPath[UUID]) -> GrantOut:
    """One grant with its tranches, ledger, balance (derived from the ledger) and clawbacks."""
    return grant_out(await grants.get(caller(request), grant_id))


@post("/api/v1/hkmo/grants/{grant_id:uuid}/submit", name="api.hkmo.grants.submit", guards=[CLERK], tags=TAGS,
      status_code=200, opt={"problems": (409,)})  # fmt: skip
async def submit_grant(request: Req, grant_id: FromPath[UUID], data: JSONBody[GrantStepIn]) -> GrantOut:
    """draft → submitted (clerk); 409 when not eligible or ``version`` is stale."""
    return grant_out(await grants.submit(caller(request), grant_id, data.version, data.comment))


@post("/api/v1/hkmo/grants/{grant_id:uuid}/approve", name="api.hkmo.grants.approve", guards=[REVIEWER],
      tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def approve_grant(request: Req, grant_id: FromPath[UUID], data: JSONBody[GrantStepIn]) -> GrantOut:
    """submitted → approved by a reviewer who did not submit it (403 otherwise): the plan is dated
    from today and the first milestone falls due at once."""
    return grant_out(await grants.approve(caller(request), grant_id, data.version, data.comment))


@post("/api/v1/hkmo/grants/{grant_id:uuid}/reject", name="api.hkmo.grants.reject", guards=[REVIEWER],
      tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def reject_grant(request: Req, grant_id: FromPath[UUID], data: JSONBody[GrantStepIn]) -> GrantOut:
    """submitted → rejected, with a reason (``comment``, required)."""
    return grant_out(await grants.reject(caller(request), grant_id, data.version, data.comment))


@post("/api/v1/hkmo/grants/{grant_id:uuid}/withdraw", name="api.hkmo.grants.withdraw", guards=[CLERK],
      tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def withdraw_grant(request: Req, grant_id: FromPath[UUID], data: JSONBody[GrantStepIn]) -> GrantOut:
    """draft | submitted → withdrawn (clerk)."""
    return grant_out(await grants.withdraw(caller(request), grant_id, data.version, data.comment))


@post("/api/v1/hkmo/tranches/{tranche_id:uuid}/milestone", name="api.hkmo.tranches.milestone",
      guards=[CLERK], tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def record_milestone(
    request: Req, tranche_id: FromPath[UUID], data: JSONBody[MilestoneIn]
) -> TrancheOut:
    """The clerk's evidence for a due milestone (met or not, documents' names and dates); 409
    before it falls due, when already recorded, or once decided."""
    documents = tuple(tranches.Document(d.name, d.dated) for d in data.documents)
    evidence = tranches.Evidence(data.met, data.evidence, documents, data.interest_paid_fen)
    return tranche_out(await tranches.record_milestone(caller(request), tranche_id, evidence, data.version))


@post("/api/v1/hkmo/tranches/{tranche_id:uuid}/decide", name="api.hkmo.tranches.decide", guards=[REVIEWER],
      tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def decide_milestone(
    request: Req, tranche_id: FromPath[UUID], data: JSONBody[DecisionIn]
) -> TrancheOut:
    """A reviewer who did not record the evidence decides: met → the tranche is payable in the
    next nightly batch (an award moving ready → in_batch → paid); not met → this and the later
    tranches are cancelled with the reason."""
    return tranche_out(
        await tranches.decide(caller(request), tranche_id, data.met, data.comment, data.version)
    )


@post("/api/v1/hkmo/grants/{grant_id:uuid}/clawbacks", name="api.hkmo.clawbacks.create", guards=[CLERK],
      tags=TAGS, status_code=201, opt={"problems": (409, 422)})  # fmt: skip
async def record_clawback(request: Req, grant_id: FromPath[UUID], data: JSONBody[ClawbackIn]) -> ClawbackOut:
    """A clawback (追回) owed on a grant; 422 above what was paid and not already owed."""
    return ClawbackOut(**await clawbacks.record(caller(request), grant_id, data.amount_fen, data.reason))


@post("/api/v1/hkmo/clawbacks/{clawback_id:uuid}/recoveries", name="api.hkmo.clawbacks.recover",
      guards=[CLERK], tags=TAGS, status_code=201, opt={"problems": (422,)})  # fmt: skip
async def recover(request: Req, clawback_id: FromPath[UUID], data: JSONBody[RecoveryIn]) -> ClawbackOut:
    """An instalment recovered; 422 above what is still owed."""
    return ClawbackOut(**await clawbacks.recover(caller(request), clawback_id, data.amount_fen, data.note))


@post("/api/v1/hkmo/clawbacks/{clawback_id:uuid}/write-off", name="api.hkmo.clawbacks.write_off",
      guards=[REVIEWER], tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def write_off(request: Req, clawback_id: FromPath[UUID], data: JSONBody[WriteOffIn]) -> ClawbackOut:
    """What is left written off, by a reviewer who did not record the clawback (403 otherwise)."""
    return ClawbackOut(**await clawbacks.write_off(caller(request), clawback_id, data.reason))


ROUTES = [
    create_grant, list_grants, get_grant, submit_grant, approve_grant, reject_grant, withdraw_grant,
    record_milestone, decide_milestone, record_clawback, recover, write_off,
]  # fmt: skip
