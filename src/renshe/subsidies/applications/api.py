"""Applications API (``/api/v1/applications``): create, list (filters ``state``, ``program``,
cursor), one with its ``history``, the transitions ``submit | approve | reject | withdraw`` with
``{"comment", "version"}``, the payee correction after a failed payment, and objections.

Thin: parse, call :mod:`service` / :mod:`notice`, shape the answer. Another district's
application answers 404 exactly like a missing one. Payee details are masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from litestar import Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from renshe.accounts.display import ActorText
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Role
from renshe.api.openapi import rule
from renshe.api.pagination import Limit, bad_cursor, clamp_limit, decode_cursor, encode_cursor
from renshe.db.tenant import tenant_transaction
from renshe.errors import NotFound
from renshe.numbering import Number
from renshe.registry.masking import mask_name
from renshe.registry.service import READERS, Caller
from renshe.subsidies.applications import notice, service, signals, store
from renshe.supervision.guards import SUPERVISED
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
READ = requires_roles(*READERS)
READING = [READ, SUPERVISED]  # a city administrator only under supervision (督查)
ACT = requires_roles(Role.CLERK, Role.REVIEWER)
CLERK = requires_roles(Role.CLERK)
TAGS = ["subsidies: applications"]
# required text: the service refuses a blank one with a 422 (renshe.api.openapi.rule)
Said = Annotated[str, rule(pattern=r"\S")]


def caller(request: Req) -> Caller:
    return Caller(
        principal_of(request),
        request_id=request_id_of(request),
        ip=request.client.host if request.client else None,
    )


class ApplicationIn(msgspec.Struct):
    program_code: str
    person_id: UUID | None = None
    enterprise_id: UUID | None = None
    facts: dict[str, Any] = msgspec.field(default_factory=dict)
    application_date: date | None = None


class TransitionIn(msgspec.Struct):
    version: int
    comment: str | None = None


class EventOut(msgspec.Struct):
    at: datetime
    from_state: str | None
    to_state: str
    comment: str | None
    actor: str | None  # the username; None for a scheduled step (the notice closing)
    actor_name: ActorText


class SignalOut(msgspec.Struct):
    kind: str
    message: str
    details: dict[str, Any]


class ApplicationOut(msgspec.Struct):
    id: UUID
    number: Number  # 申请编号 SQ440703-2026-000123, what people say on the phone (the id stays the key)
    state: str
    program_code: str
    amount_fen: int | None
    version: int
    person_id: UUID | None
    enterprise_id: UUID | None
    application_date: date
    evaluation: dict[str, Any] | None
    policy_version_id: UUID | None
    budget_year: int | None
    payee_name_masked: str | None
    payee_account_masked: str | None
    payee_bank_name: str | None
    notice_starts_on: date | None
    notice_ends_on: date | None
    ready_on: date | None
    decision_comment: str | None
    created_at: datetime
    updated_at: datetime
    history: list[EventOut] | None = None
    signals: list[SignalOut] | None = None  # 风险提示, in the detail only


class ApplicationList(msgspec.Struct):
    items: list[ApplicationOut]
    next_cursor: str | None = None


class ObjectionIn(msgspec.Struct):
    raised_by: Said
    content: Said
    raised_on: date | None = None


class ResolutionIn(msgspec.Struct):
    resolution: Literal["upheld", "dismissed"]
    comment: Said | None = None  # required: the reason of the resolution


class ObjectionOut(msgspec.Struct):
    id: UUID
    application_id: UUID
    raised_by: str
    raised_on: date
    content: str
    recorded_at: datetime
    resolution: str | None
    resolution_comment: str | None
    resolved_at: datetime | None


class ObjectionList(msgspec.Struct):
    items: list[ObjectionOut]


def application_out(row: dict[str, Any], history: list[dict[str, Any]] | None = None) -> ApplicationOut:
    return ApplicationOut(
        id=row["id"], number=row["number"], state=row["state"], program_code=row["program_code"],
        amount_fen=row["amount_fen"],
        version=row["version"], person_id=row["person_id"], enterprise_id=row["enterprise_id"],
        application_date=row["application_date"], evaluation=store.as_json(row["evaluation"]),
        policy_version_id=row["policy_version_id"], budget_year=row["budget_year"],
        payee_name_masked=mask_name(row["payee_name"]) if row["payee_name"] else None,
        payee_account_masked=row["payee_account_masked"], payee_bank_name=row["payee_bank_name"],
        notice_starts_on=row["notice_starts_on"], notice_ends_on=row["notice_ends_on"],
        ready_on=row["ready_on"], decision_comment=row["decision_comment"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        history=None if history is None else [
            EventOut(e["at"], e["from_state"], e["to_state"], e["comment"], e["username"], str(e["actor"]))
            for e in history
        ],
    )  # fmt: skip


def objection_out(row: dict[str, Any]) -> ObjectionOut:
    return ObjectionOut(
        id=row["id"], application_id=row["application_id"], raised_by=row["raised_by"],
        raised_on=row["raised_on"], content=row["content"], recorded_at=row["recorded_at"],
        resolution=row["resolution"], resolution_comment=row["resolution_comment"],
        resolved_at=row["resolved_at"],
    )  # fmt: skip


async def _detail(request: Req, application_id: UUID) -> ApplicationOut:
    row, history = await service.get(caller(request), application_id)
    return application_out(row, history)


@post("/api/v1/applications", name="api.applications.create", guards=[CLERK], tags=TAGS, status_code=201,
      opt={"problems": (404,)})  # fmt: skip
async def create_application(request: Req, data: JSONBody[ApplicationIn]) -> ApplicationOut:
    """Enter an application (draft): judged at once; ``evaluation.reasons`` says why when not eligible."""
    draft = service.Draft(
        data.program_code, data.person_id, data.enterprise_id, data.facts, data.application_date
    )
    row = await service.create(caller(request), draft)
    return await _detail(request, row["id"])


@get("/api/v1/applications", name="api.applications.list", guards=READING, tags=TAGS)
async def list_applications(
    request: Req,
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,  # ``state`` is reserved
    program: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: Limit = None,
) -> ApplicationList:
    """Applications of the caller's district (a city user: every district under the city), newest first."""
    size = clamp_limit(limit)
    key = decode_cursor(cursor)
    after = None
    if key is not None:
        try:
            after = (datetime.fromisoformat(key[0]), UUID(key[1]))
        except (ValueError, IndexError, TypeError):
            raise bad_cursor() from None
    rows = await service.list_applications(
        caller(request), state=state_filter, program_code=program, after=after, limit=size + 1
    )
    more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return ApplicationList(items=[application_out(r) for r in rows], next_cursor=next_cursor)


@get("/api/v1/applications/{application_id:uuid}", name="api.applications.detail", guards=READING, tags=TAGS)
async def get_application(request: Req, application_id: FromPath[UUID]) -> ApplicationOut:
    """One application with its timeline (``history``) and the reviewer's risk ``signals``."""
    who = caller(request)
    row, history = await service.get(who, application_id)
    out = application_out(row, history)
    async with tenant_transaction(who.context()):
        out.signals = [SignalOut(s.kind, s.message, s.details) for s in await signals.signals_for(who, row)]
    return out


@post("/api/v1/applications/{application_id:uuid}/{action:str}", name="api.applications.transition",
      guards=[ACT], tags=TAGS, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def transition(
    request: Req, application_id: FromPath[UUID], action: FromPath[str], data: JSONBody[TransitionIn]
) -> ApplicationOut:
    """``submit`` / ``withdraw`` (clerk), ``approve`` / ``reject`` (a reviewer who did not submit
    it), ``correct-payee`` (clerk, after a failed payment). ``version`` as last read: 409 if stale."""
    who = caller(request)
    if action == "submit":
        await service.submit(who, application_id, data.version, data.comment)
    elif action == "approve":
        await service.approve(who, application_id, data.version, data.comment)
    elif action == "reject":
        await service.reject(who, application_id, data.version, data.comment)
    elif action == "withdraw":
        await service.withdraw(who, application_id, data.version, data.comment)
    elif action == "correct-payee":
        await notice.correct_payee(who, application_id, data.version, data.comment)
    else:
        raise NotFound()
    return await _detail(request, application_id)


@post("/api/v1/applications/{application_id:uuid}/objections", name="api.applications.objections.create",
      guards=[ACT], tags=TAGS, status_code=201, opt={"problems": (409,)})  # fmt: skip
async def create_objection(
    request: Req, application_id: FromPath[UUID], data: JSONBody[ObjectionIn]
) -> ObjectionOut:
    """Record an objection (异议) raised during public notice: the award goes on hold."""
    row = await notice.record_objection(
        caller(request), application_id, raised_by=data.raised_by, content=data.content,
        raised_on=data.raised_on or store.today(),
    )  # fmt: skip
    return objection_out(row)


@get("/api/v1/applications/{application_id:uuid}/objections", name="api.applications.objections.list",
     guards=READING, tags=TAGS)  # fmt: skip
async def list_objections(request: Req, application_id: FromPath[UUID]) -> ObjectionList:
    return ObjectionList(
        items=[objection_out(r) for r in await notice.objections_of(caller(request), application_id)]
    )


@post("/api/v1/objections/{objection_id:uuid}/resolve", name="api.objections.resolve",
      guards=[requires_roles(Role.REVIEWER)], tags=TAGS, status_code=200,
      opt={"problems": (409,)})  # fmt: skip
async def resolve_objection(
    request: Req, objection_id: FromPath[UUID], data: JSONBody[ResolutionIn]
) -> ApplicationOut:
    """A reviewer resolves an objection: ``upheld`` rejects the award (its budget is released),
    ``dismissed`` returns it to notice, or to ready when the window is over."""
    row = await notice.resolve_objection(caller(request), objection_id, data.resolution, data.comment)
    return await _detail(request, row["id"])


ROUTES = [
    create_application, list_applications, get_application, transition,
    create_objection, list_objections, resolve_objection,
]  # fmt: skip
