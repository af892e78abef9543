"""Talent-card API (``/api/v1/talent-cards``): applications and their steps, "issue now", the cards
with their PNG and PDF, and the lifecycle actions (renew, revoke, report loss).

Thin: parse, call the services, shape the answer. District roles only (city roles see rollups):
another district's application or card answers 404 exactly like a missing one. Names are masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from renshe import clock, offload
from renshe.accounts.display import ActorText
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Role
from renshe.api.openapi import content_operation, rule
from renshe.api.pagination import Limit, bad_cursor, clamp_limit, decode_cursor, encode_cursor
from renshe.db.tenant import tenant_transaction
from renshe.errors import NotFound
from renshe.numbering import Number
from renshe.registry.service import Caller
from renshe.settings import get_settings
from renshe.talent import application_store as store
from renshe.talent import applications, benefits, cards, rendering, tasks
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
READ = requires_roles(*applications.READERS)
ACT = requires_roles(Role.CLERK, Role.REVIEWER)
CLERK = requires_roles(Role.CLERK)
REVIEWER = requires_roles(Role.REVIEWER)
TAGS = ["talent cards"]
Tier = Annotated[str, rule(enum=["A", "B", "C"])]
Said = Annotated[str, rule(pattern=r"\S", max_length=500)]
CardNo = Annotated[str, rule(pattern=r"^QD[0-9]{16,}[0-9X]$")]
# a card number with a wrong check character answers 422 naming card_no (cards.card_number)
CARD_PROBLEMS = {"problems": (422,)}
PngContent = content_operation("200", ["image/png"], {"type": "string", "format": "binary"})
PdfContent = content_operation("200", ["application/pdf"], {"type": "string", "format": "binary"})


def caller(request: Req) -> Caller:
    return Caller(principal_of(request), request_id=request_id_of(request),
                  ip=request.client.host if request.client else None)  # fmt: skip


class TalentApplicationIn(msgspec.Struct):
    person_id: UUID
    tier_claimed: Tier
    employer_id: UUID
    social_insurance_months: Annotated[int, rule(minimum=0, maximum=600)]
    contract_end: date
    qualifications: list[str] = msgspec.field(default_factory=list)
    annual_salary_fen: Annotated[int, rule(minimum=0)] | None = None
    civil_servant: bool = False
    application_date: date | None = None


class TalentTransitionIn(msgspec.Struct):
    version: int
    comment: Annotated[str, rule(max_length=500)] | None = None
    tier: Tier | None = None  # approve: the tier granted (the claimed one or lower)


class TalentEventOut(msgspec.Struct):
    at: datetime
    from_state: str | None
    to_state: str
    comment: str | None
    actor: str | None
    actor_name: ActorText


class TalentApplicationOut(msgspec.Struct):
    id: UUID
    number: Number  # 受理编号 RC440703-2026-000012
    kind: str  # new | renewal | reissue
    state: str
    version: int
    person_id: UUID
    employer_id: UUID
    tier_claimed: str
    tier_approved: str | None
    facts: dict[str, Any]
    contract_end: date
    application_date: date
    evaluation: dict[str, Any] | None
    employer_confirmed_by: str | None
    employer_confirmed_at: datetime | None
    decision_comment: str | None
    approved_on: date | None
    card_id: UUID | None
    created_at: datetime
    updated_at: datetime
    history: list[TalentEventOut] | None = None


class TalentApplicationList(msgspec.Struct):
    items: list[TalentApplicationOut]
    next_cursor: str | None = None


class IssueJobAccepted(msgspec.Struct):
    job_id: UUID
    status: str


class IssuanceOut(msgspec.Struct):
    kind: str
    valid_from: date
    valid_until: date
    kid: str
    issued_at: datetime


class CardOut(msgspec.Struct):
    card_no: str
    state: str  # active | expired | revoked | lost | superseded
    tier: str
    valid_from: date
    valid_until: date
    holder_masked: str
    verify_url: str
    person_id: UUID
    application_id: UUID
    origin: str
    replaces_card_id: UUID | None
    ended_reason: str | None
    ended_at: datetime | None
    issued_at: datetime
    version: int
    issuances: list[IssuanceOut] | None = None


class CardList(msgspec.Struct):
    items: list[CardOut]
    next_cursor: str | None = None


class CardActionIn(msgspec.Struct):
    reason: Said | None = None
    # renew: what changed since the card's application (all optional)
    contract_end: date | None = None
    social_insurance_months: Annotated[int, rule(minimum=0, maximum=600)] | None = None
    qualifications: list[str] | None = None
    tier_claimed: Tier | None = None
    annual_salary_fen: Annotated[int, rule(minimum=0)] | None = None


class BenefitUseIn(msgspec.Struct):
    benefit: Annotated[str, rule(pattern=r"^[a-z][a-z0-9_]{0,62}$")]
    place: Said
    used_on: date | None = None


class BenefitUseOut(msgspec.Struct):
    benefit: str
    used_on: date
    place: str
    created_at: datetime


class BenefitCountOut(msgspec.Struct):
    benefit: str
    used: int
    quota: int | None  # None: no yearly limit


class BenefitUsesOut(msgspec.Struct):
    year: int
    items: list[BenefitUseOut]
    counts: list[BenefitCountOut]


class LossOut(msgspec.Struct):
    lost: CardOut
    reissued: CardOut


def application_out(row: dict[str, Any], history: list[dict[str, Any]] | None = None) -> TalentApplicationOut:
    return TalentApplicationOut(
        id=row["id"], number=row["number"], kind=row["kind"], state=row["state"], version=row["version"],
        person_id=row["person_id"], employer_id=row["employer_id"], tier_claimed=row["tier_claimed"],
        tier_approved=row["tier_approved"], facts=store.as_json(row["facts"]) or {},
        contract_end=row["contract_end"], application_date=row["application_date"],
        evaluation=store.as_json(row["evaluation"]), employer_confirmed_by=row["employer_confirmed_by"],
        employer_confirmed_at=row["employer_confirmed_at"], decision_comment=row["decision_comment"],
        approved_on=row["approved_on"], card_id=row["card_id"], created_at=row["created_at"],
        updated_at=row["updated_at"],
        history=None if history is None else [
            TalentEventOut(e["at"], e["from_state"], e["to_state"], e["comment"], e["username"],
                           str(e["actor"]))
            for e in history
        ],
    )  # fmt: skip


def verify_url(token: str) -> str:
    return f"{get_settings().public_url}/verify/{token}"


def card_out(row: dict[str, Any], issuances: list[dict[str, Any]] | None = None) -> CardOut:
    return CardOut(
        card_no=row["card_no"], state=row["state"], tier=row["tier"], valid_from=row["valid_from"],
        valid_until=row["valid_until"], holder_masked=row["holder_masked"],
        verify_url=verify_url(row["token"]),
        person_id=row["person_id"], application_id=row["application_id"], origin=row["origin"],
        replaces_card_id=row["replaces_card_id"], ended_reason=row["ended_reason"], ended_at=row["ended_at"],
        issued_at=row["issued_at"], version=row["version"],
        issuances=None if issuances is None else [
            IssuanceOut(i["kind"], i["valid_from"], i["valid_until"], i["kid"], i["issued_at"])
            for i in issuances
        ],
    )  # fmt: skip


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(key[0]), UUID(key[1])
    except (ValueError, IndexError, TypeError):
        raise bad_cursor() from None


async def _application(request: Req, application_id: UUID) -> TalentApplicationOut:
    row, history = await applications.get(caller(request), application_id)
    return application_out(row, history)


# ---------------------------------------------------------------- applications


@post("/api/v1/talent-cards/applications", name="api.talent.applications.create", guards=[CLERK], tags=TAGS,
      status_code=201)  # fmt: skip
async def create_application(request: Req, data: JSONBody[TalentApplicationIn]) -> TalentApplicationOut:
    """Apply for a card for a registered person (draft). 422 with ``errors[].field = reasons[i]``
    when the evidence does not meet the claimed tier; ``evaluation.tiers`` judges all three."""
    evidence = applications.Evidence(
        person_id=data.person_id, employer_id=data.employer_id, tier_claimed=data.tier_claimed,
        social_insurance_months=data.social_insurance_months, contract_end=data.contract_end,
        qualifications=tuple(data.qualifications), annual_salary_fen=data.annual_salary_fen,
        civil_servant=data.civil_servant, application_date=data.application_date,
    )  # fmt: skip
    row = await applications.create(caller(request), evidence)
    return await _application(request, row["id"])


@get("/api/v1/talent-cards/applications", name="api.talent.applications.list", guards=[READ], tags=TAGS)
async def list_applications(
    request: Req,
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    person_id: FromQuery[UUID | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: Limit = None,
) -> TalentApplicationList:
    """The district's applications, newest first."""
    size = clamp_limit(limit)
    rows = await applications.list_applications(
        caller(request), state=state_filter, person_id=person_id, after=_after(cursor), limit=size + 1
    )
    more, rows = len(rows) > size, rows[:size]
    next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return TalentApplicationList(items=[application_out(r) for r in rows], next_cursor=next_cursor)


@get("/api/v1/talent-cards/applications/{application_id:uuid}", name="api.talent.applications.detail",
     guards=[READ], tags=TAGS)  # fmt: skip
async def get_application(request: Req, application_id: FromPath[UUID]) -> TalentApplicationOut:
    """One application with its timeline (``history``)."""
    return await _application(request, application_id)


@post("/api/v1/talent-cards/applications/{application_id:uuid}/{action:str}",
      name="api.talent.applications.transition", guards=[ACT], tags=TAGS, status_code=200,
      opt={"problems": (409,)})  # fmt: skip
async def transition(
    request: Req, application_id: FromPath[UUID], action: FromPath[str], data: JSONBody[TalentTransitionIn]
) -> TalentApplicationOut:
    """``confirm-employer`` (clerk; ``comment`` names who confirmed for the employer), ``submit`` and
    ``withdraw`` (clerk), ``approve`` (``tier``: the claimed one or lower) and ``reject`` (a reason)
    by a reviewer who did not submit it. ``version`` as last read: 409 when stale."""
    who = caller(request)
    if action == "confirm-employer":
        await applications.confirm_employer(who, application_id, data.version, data.comment)
    elif action == "submit":
        await applications.submit(who, application_id, data.version, data.comment)
    elif action == "approve":
        await applications.approve(who, application_id, data.version, data.tier, data.comment)
    elif action == "reject":
        await applications.reject(who, application_id, data.version, data.comment)
    elif action == "withdraw":
        await applications.withdraw(who, application_id, data.version, data.comment)
    else:
        raise NotFound()
    return await _application(request, application_id)


@post("/api/v1/talent-cards/issue-now", name="api.talent.issue_now", guards=[REVIEWER], tags=TAGS,
      status_code=202)  # fmt: skip
async def issue_now(request: Req) -> IssueJobAccepted:
    """Issue now (立即制卡): every approval of the district up to today, as a job."""
    who = caller(request)
    tenant_id = applications.require(who, Role.REVIEWER)
    async with tenant_transaction(who.context()):
        job = await tasks.request_issue(tenant_id, who.principal.user_id, clock.today())
    return IssueJobAccepted(job_id=job.id, status=job.status)


# ---------------------------------------------------------------- cards


@get("/api/v1/talent-cards", name="api.talent.cards.list", guards=[READ], tags=TAGS)
async def list_cards(  # noqa: PLR0917 - a handler: Litestar passes the query by name
    request: Req,
    person_id: FromQuery[UUID | None] = None,
    state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
    renewal_due: FromQuery[bool] = False,
    cursor: FromQuery[str | None] = None,
    limit: Limit = None,
) -> CardList:
    """The district's cards, newest first; ``person_id`` for one person's; ``renewal_due=true``
    for the renewal reminders (active cards inside their renewal window)."""
    size = clamp_limit(limit)
    rows = await cards.list_cards(
        caller(request), person_id=person_id, state=state_filter, renewal_due=renewal_due,
        after=_after(cursor), limit=size + 1,
    )  # fmt: skip
    more, rows = len(rows) > size, rows[:size]
    next_cursor = encode_cursor([rows[-1]["issued_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return CardList(items=[card_out(r) for r in rows], next_cursor=next_cursor)


@get("/api/v1/talent-cards/{card_no:str}", name="api.talent.cards.detail", guards=[READ], tags=TAGS,
     opt=CARD_PROBLEMS)  # fmt: skip
async def get_card(request: Req, card_no: FromPath[CardNo]) -> CardOut:
    """One card with its issuances (first issue, renewals, reissue)."""
    card, issuances, _ = await cards.get(caller(request), card_no)
    return card_out(card, issuances)


def _download(content: bytes, media_type: str, name: str) -> Response[bytes]:
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})  # fmt: skip


@get("/api/v1/talent-cards/{card_no:str}/card.png", name="api.talent.cards.png", guards=[READ], tags=TAGS,
     operation_class=PngContent, opt=CARD_PROBLEMS)  # fmt: skip
async def card_png(request: Req, card_no: FromPath[CardNo]) -> Response[bytes]:
    """The card as a PNG at 300 dpi (identity-card size); the same bytes every time for the same card."""
    face = await cards.face(caller(request), card_no, download="png")
    return _download(await offload.run(rendering.render_png, face), "image/png", f"{face.card_no}.png")


@get("/api/v1/talent-cards/{card_no:str}/card.pdf", name="api.talent.cards.pdf", guards=[READ], tags=TAGS,
     operation_class=PdfContent, opt=CARD_PROBLEMS)  # fmt: skip
async def card_pdf(request: Req, card_no: FromPath[CardNo]) -> Response[bytes]:
    """The card as a one-page PDF of identity-card size, for printing."""
    face = await cards.face(caller(request), card_no, download="pdf")
    return _download(await offload.run(rendering.render_pdf, face), "application/pdf", f"{face.card_no}.pdf")


@post("/api/v1/talent-cards/{card_no:str}/renew", name="api.talent.cards.renew", guards=[CLERK], tags=TAGS,
      status_code=201, opt={"problems": (409, 422)})  # fmt: skip
async def renew(
    request: Req, card_no: FromPath[CardNo], data: JSONBody[CardActionIn]
) -> TalentApplicationOut:
    """A renewal application (draft) inside the renewal window: the card's evidence with what changed.
    Same tier approved → the same number, extended; another tier → a new card replacing it."""
    changes = {k: v for k, v in msgspec.structs.asdict(data).items() if k != "reason" and v is not None}
    row = await cards.renew(caller(request), card_no, data.reason, changes)
    return await _application(request, row["id"])


@post("/api/v1/talent-cards/{card_no:str}/revoke", name="api.talent.cards.revoke", guards=[ACT], tags=TAGS,
      status_code=200, opt={"problems": (409, 422)})  # fmt: skip
async def revoke(request: Req, card_no: FromPath[CardNo], data: JSONBody[CardActionIn]) -> CardOut:
    """Revoke with a ``reason``: verifiers read "revoked" once the district's list is republished
    (within a minute)."""
    return card_out(await cards.revoke(caller(request), card_no, data.reason))


@post("/api/v1/talent-cards/{card_no:str}/report-loss", name="api.talent.cards.report_loss", guards=[CLERK],
      tags=TAGS, status_code=200, opt={"problems": (409, 422)})  # fmt: skip
async def report_loss(request: Req, card_no: FromPath[CardNo], data: JSONBody[CardActionIn]) -> LossOut:
    """Report a loss: the card is revoked and a new card of the same tier and validity is issued
    at once under a new number, linked to the old one (``replaces_card_id``)."""
    lost, new = await cards.report_loss(caller(request), card_no, data.reason)
    return LossOut(lost=card_out(lost), reissued=card_out(new))


@post("/api/v1/talent-cards/{card_no:str}/benefit-uses", name="api.talent.cards.benefit_use", guards=[CLERK],
      tags=TAGS, status_code=201, opt={"problems": (409, 422)})  # fmt: skip
async def record_benefit_use(
    request: Req, card_no: FromPath[CardNo], data: JSONBody[BenefitUseIn]
) -> BenefitUseOut:
    """A service point records a use of one of the tier's benefits; 409 when the year's quota is
    used up (the database counts, so two desks cannot both take the last one)."""
    row = await benefits.record_use(caller(request), card_no, data.benefit, data.used_on, data.place)
    return BenefitUseOut(row["benefit"], row["used_on"], row["place"], row["created_at"])


@get("/api/v1/talent-cards/{card_no:str}/benefit-uses", name="api.talent.cards.benefit_uses", guards=[READ],
     tags=TAGS, opt=CARD_PROBLEMS)  # fmt: skip
async def benefit_uses(
    request: Req,
    card_no: FromPath[CardNo],
    year: Annotated[int | None, rule(minimum=2000, maximum=2100)] = None,
) -> BenefitUsesOut:
    """The card's benefit uses in ``year`` (this year by default) and what each quota leaves."""
    on = year or clock.today().year
    uses, counts = await benefits.uses_of(caller(request), card_no, on)
    return BenefitUsesOut(
        year=on,
        items=[BenefitUseOut(u["benefit"], u["used_on"], u["place"], u["created_at"]) for u in uses],
        counts=[BenefitCountOut(c["benefit"], c["used"], c["quota"]) for c in counts],
    )


ROUTES = [
    create_application, list_applications, get_application, transition, issue_now,
    list_cards, get_card, card_png, card_pdf, renew, revoke, report_loss, record_benefit_use, benefit_uses,
]  # fmt: skip
