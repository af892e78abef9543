"""Programs API (``/api/v1/programs``): the programs with the version in force, names in
Chinese and English, every amount in integer fen. Reference data without personal data: any
signed-in user may read it. A district user sees the terms with the district's override
merged on top (and whether the district offers the program at all)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, get
from litestar.params import FromPath, FromQuery

from renshe import clock
from renshe.accounts.guards import principal_of, requires_login
from renshe.api.openapi import query_rule
from renshe.db.tenant import tenant_transaction
from renshe.errors import ValidationFailed
from renshe.i18n import current_locale, lazy
from renshe.subsidies.programs import service
from renshe.subsidies.programs.policy import SUBSIDY_FAMILIES, PolicyVersion
from renshe.subsidies.programs.vocabulary import choice_names, document_names
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
TAGS = ["subsidies: programs"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class DocumentOut(msgspec.Struct):
    code: str
    name_zh: str
    name_en: str


class VersionSummary(msgspec.Struct):
    id: UUID
    version: int
    effective_from: date
    effective_to: date | None
    digest: str
    amount: dict[str, Any]


class VersionOut(msgspec.Struct):
    """The terms in force: rules in canonical form (money as ``*_fen`` integers)."""

    id: UUID | None
    version: int
    effective_from: date
    effective_to: date | None
    digest: str
    amount: dict[str, Any]
    eligibility: dict[str, Any]
    caps: dict[str, Any]
    facts: Annotated[
        list[dict[str, Any]],
        msgspec.Meta(
            description="The facts an application of this version enters: name, type, required, "
            "label_zh, label_en, min, max, beneficiary; a choice fact lists its codes in choices "
            "(send one of them) and their words in choice_names [{code, name_zh, name_en}]."
        ),
    ]
    required_documents: list[DocumentOut]
    district_code: str | None
    district_override: dict[str, Any] | None


class ProgramOut(msgspec.Struct):
    code: str
    family: str
    name_zh: str
    name_en: str
    name: str  # in the caller's language
    beneficiary: list[str]
    status: str
    enabled: bool  # offered by the caller's district (always true for city users)
    in_force: VersionOut | None  # on the date asked (default: today)
    versions: list[VersionSummary] | None = None  # detail only: every stored version


class ProgramList(msgspec.Struct):
    items: list[ProgramOut]
    on: date


def _fact_out(fact: dict[str, Any]) -> dict[str, Any]:
    """A fact as stored, and for a choice fact the words of each value (``choice_names``): the
    value sent back stays the code."""
    if not fact.get("choices"):
        return dict(fact)
    names = [(code, choice_names(code) or (code, code)) for code in fact["choices"]]
    return {**fact, "choice_names": [{"code": c, "name_zh": zh, "name_en": en} for c, (zh, en) in names]}


def _version_out(policy: PolicyVersion) -> VersionOut:
    data = policy.terms.data
    return VersionOut(
        id=policy.version_id,
        version=policy.version,
        effective_from=policy.effective_from,
        effective_to=policy.effective_to,
        digest=policy.digest,
        amount=dict(data["amount"]),
        eligibility=dict(data["eligibility"]),
        caps=dict(data["caps"]),
        facts=[_fact_out(f) for f in data["facts"]],
        required_documents=[DocumentOut(code, *document_names(code)) for code in data["required_documents"]],
        district_code=policy.district_code,
        district_override=dict(policy.override) if policy.override else None,
    )


def _program_out(
    program: service.StoredProgram, policy: PolicyVersion | None, detail: bool = False
) -> ProgramOut:
    info = program.info
    return ProgramOut(
        code=info.code,
        family=info.family,
        name_zh=info.name_zh,
        name_en=info.name_en,
        name=info.name(current_locale.get()),
        beneficiary=[k.value for k in info.beneficiary],
        status=info.status,
        enabled=policy.enabled if policy else program.active,
        in_force=_version_out(policy) if policy else None,
        versions=[
            VersionSummary(
                v.id,
                v.version,
                v.definition.effective_from,
                v.definition.effective_to,
                v.definition.terms.digest,
                dict(v.definition.terms.data["amount"]),
            )
            for v in program.versions
        ]
        if detail
        else None,
    )


def _today() -> date:
    return clock.today()


@get("/api/v1/programs", name="api.programs.list", guards=[requires_login], tags=TAGS)
async def list_programs(
    request: Req,
    family: Annotated[str | None, query_rule(enum=list(SUBSIDY_FAMILIES))] = None,
    on: FromQuery[date | None] = None,
) -> ProgramList:
    """Every active program with the version in force on ``on`` (default today, Asia/Shanghai);
    ``family`` = ``employment`` or ``hkmo``."""
    if family is not None and family not in SUBSIDY_FAMILIES:
        raise ValidationFailed({"family": lazy("Choose employment or hkmo.")})
    principal = principal_of(request)
    day = on or _today()
    tenant = principal.org_unit.id if principal.is_district else None
    async with tenant_transaction(principal.context(request_id_of(request))):
        found = await service.versions_in_force(tenant, day, family=family)
    return ProgramList(items=[_program_out(p, v) for p, v in found], on=day)


@get("/api/v1/programs/{code:str}", name="api.programs.detail", guards=[requires_login], tags=TAGS)
async def get_program(request: Req, code: FromPath[str], on: FromQuery[date | None] = None) -> ProgramOut:
    """One program: the version in force on ``on`` and the list of every stored version."""
    principal = principal_of(request)
    day = on or _today()
    tenant = principal.org_unit.id if principal.is_district else None
    async with tenant_transaction(principal.context(request_id_of(request))):
        program = await service.get_program(code)
        chosen = service.in_force(program, day)
        policy = await service.version_in_force(code, tenant, day) if chosen else None
    return _program_out(program, policy, detail=True)


ROUTES = [list_programs, get_program]
