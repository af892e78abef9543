"""Programs service: the stored catalogue, the version in force for a district on a date, and
the evaluation of one application (资格审核与金额计算).

Look-ups run inside the caller's open transaction (any tenant context: the tables are global),
so the applications domain can judge an application in the same transaction that saves it.
``evaluate`` is pure apart from the city-wide "already received?" question, which it asks
through the ``PriorReceipt`` callable it is given.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe.db.tenant import current_transaction
from renshe.errors import DomainError, NotFound
from renshe.i18n import lazy
from renshe.registry import citywide
from renshe.registry.model import Enterprise, Person
from renshe.subsidies.programs.caps import apply_caps
from renshe.subsidies.programs.eligibility import R_WRONG_KIND, Situation
from renshe.subsidies.programs.facts import validate_facts
from renshe.subsidies.programs.model import (
    Beneficiary,
    BeneficiaryKind,
    Entitlement,
    Evaluation,
    Message,
    PriorAward,
    Problems,
    msg,
)
from renshe.subsidies.programs.policy import (
    FAMILIES,
    SUBSIDY_FAMILIES,
    PolicyVersion,
    ProgramInfo,
    Terms,
    VersionDefinition,
    apply_override,
    parse_terms,
    select_version,
)

PROGRAM_NOT_FOUND = lazy("No such program.")
NO_VERSION = lazy("The program has no policy version in force on %(date)s.")
R_DISABLED = lazy("This program is not offered in this district.")
R_NOTHING_PAYABLE = lazy("Nothing is payable under the program's terms for these facts.")

# "Has this applicant already received program P anywhere in the city?" (async yes/no).
PriorReceipt = Callable[[str], Awaitable[bool]]


class NoVersionInForce(DomainError):
    status_code = 422


@dataclass(frozen=True, slots=True)
class StoredVersion:
    id: UUID
    version: int
    definition: VersionDefinition


@dataclass(frozen=True, slots=True)
class StoredProgram:
    info: ProgramInfo
    active: bool
    versions: tuple[StoredVersion, ...]  # ascending (effective_from, version)


# Parsed terms by version id: rows are immutable, so a parsed version never goes stale.
_parsed: dict[UUID, Terms] = {}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _info(row: Mapping[str, Any]) -> ProgramInfo:
    return ProgramInfo(
        row["code"],
        row["family"],
        row["name_zh"],
        row["name_en"],
        tuple(BeneficiaryKind(k) for k in row["beneficiary"]),
        row["status"],
        row["sort_order"],
    )


def _version(info: ProgramInfo, row: Mapping[str, Any]) -> StoredVersion:
    terms = _parsed.get(row["id"])
    if terms is None:
        problems = Problems()
        parsed = parse_terms(_json(row["terms"]), info, f"program_versions.{row['id']}", problems)
        problems.raise_if_any("program_versions")
        assert parsed is not None
        terms = _parsed.setdefault(row["id"], parsed)
    return StoredVersion(
        row["id"], row["version"], VersionDefinition(row["effective_from"], row["effective_to"], terms)
    )


async def list_programs(
    *, family: str | None = None, include_inactive: bool = False, families: Sequence[str] = SUBSIDY_FAMILIES
) -> list[StoredProgram]:
    """Every stored program of ``families`` (the subsidies unless asked: a talent-card tier is a
    program too, but pays nothing and is applied for on its own pages) with all its versions, in
    catalogue order."""
    conn = current_transaction().connection
    rows = await conn.fetch(
        """SELECT * FROM programs WHERE ($1::text IS NULL OR family = $1) AND (active OR $2)
             AND family = ANY($3::text[])
           ORDER BY sort_order, code""",
        family,
        include_inactive,
        list(families),
    )
    versions = await conn.fetch(
        """SELECT * FROM program_versions WHERE program_code = ANY($1::text[])
           ORDER BY program_code, effective_from, version""",
        [r["code"] for r in rows],
    )
    by_code: dict[str, list[Mapping[str, Any]]] = {}
    for v in versions:
        by_code.setdefault(v["program_code"], []).append(v)
    out = []
    for row in rows:
        info = _info(row)
        out.append(
            StoredProgram(info, row["active"], tuple(_version(info, v) for v in by_code.get(info.code, [])))
        )
    return out


async def get_program(code: str, *, families: Sequence[str] = SUBSIDY_FAMILIES) -> StoredProgram:
    """A program of ``families`` by code; another family's is as unknown as a missing one (a
    subsidy application cannot name a talent-card tier)."""
    conn = current_transaction().connection
    row = await conn.fetchrow(
        "SELECT * FROM programs WHERE code = $1 AND family = ANY($2::text[])", code, list(families)
    )
    if row is None:
        raise NotFound(PROGRAM_NOT_FOUND)
    info = _info(row)
    versions = await conn.fetch(
        "SELECT * FROM program_versions WHERE program_code = $1 ORDER BY effective_from, version", code
    )
    return StoredProgram(info, row["active"], tuple(_version(info, v) for v in versions))


async def _district(tenant: UUID | None) -> tuple[str | None, Mapping[str, Any], str]:
    """(district code, its ``[programs]`` overrides, its file name) — nothing for the city."""
    if tenant is None:
        return None, {}, ""
    row = await current_transaction().connection.fetchrow(
        "SELECT code, kind, settings, source_file FROM org_units WHERE id = $1", tenant
    )
    if row is None:
        raise NotFound(lazy("No such org unit."))
    settings = _json(row["settings"]) or {}
    if row["kind"] != "district":
        return None, {}, ""
    return row["code"], settings.get("programs") or {}, row["source_file"] or f"{row['code']}.toml"


def _policy(
    program: StoredProgram,
    chosen: StoredVersion,
    district: str | None,
    overrides: Mapping[str, Any],
    source: str,
) -> PolicyVersion:
    override = overrides.get(program.info.code)
    terms = chosen.definition.terms
    if override:
        terms = apply_override(program.info, terms, override, source)
    return PolicyVersion(
        program=program.info,
        version_id=chosen.id,
        version=chosen.version,
        effective_from=chosen.definition.effective_from,
        effective_to=chosen.definition.effective_to,
        terms=terms,
        district_code=district,
        override=override or None,
        enabled=not (override or {}).get("disabled", False) and program.active,
    )


def in_force(program: StoredProgram, on_date: date) -> StoredVersion | None:
    index = select_version([(v.version, v.definition) for v in program.versions], on_date)
    return None if index is None else program.versions[index]


async def version_in_force(
    program_code: str, tenant: UUID | None, on_date: date, *, families: Sequence[str] = SUBSIDY_FAMILIES
) -> PolicyVersion:
    """The version of ``program_code`` in force on ``on_date`` with district ``tenant``'s
    override merged on top (``tenant`` None or the city: the city version as it stands)."""
    program = await get_program(program_code, families=families)
    chosen = in_force(program, on_date)
    if chosen is None:
        raise NoVersionInForce(NO_VERSION, date=on_date.isoformat())
    district, overrides, source = await _district(tenant)
    return _policy(program, chosen, district, overrides, source)


async def versions_in_force(
    tenant: UUID | None,
    on_date: date,
    *,
    family: str | None = None,
    families: Sequence[str] = SUBSIDY_FAMILIES,
) -> list[tuple[StoredProgram, PolicyVersion | None]]:
    """Every active program with its version in force for ``tenant`` on ``on_date`` (or None)."""
    district, overrides, source = await _district(tenant)
    out: list[tuple[StoredProgram, PolicyVersion | None]] = []
    for program in await list_programs(family=family, families=families):
        chosen = in_force(program, on_date)
        out.append((program, _policy(program, chosen, district, overrides, source) if chosen else None))
    return out


async def version_by_id(version_id: UUID, tenant: UUID | None = None) -> PolicyVersion:
    """A stored version by id (an award's), with ``tenant``'s current override merged on top.
    To see the exact terms an award was judged by, use the snapshot it froze."""
    code = await current_transaction().connection.fetchval(
        "SELECT program_code FROM program_versions WHERE id = $1", version_id
    )
    if code is None:
        raise NotFound(PROGRAM_NOT_FOUND)
    program = await get_program(code, families=FAMILIES)
    chosen = next(v for v in program.versions if v.id == version_id)
    district, overrides, source = await _district(tenant)
    return _policy(program, chosen, district, overrides, source)


def budget_fen(settings: Mapping[str, Any], program_code: str, year: int) -> int | None:
    """A district's yearly budget for a program (``[budgets.YEAR]`` in its file), or None."""
    return (settings.get("budgets_fen") or {}).get(str(year), {}).get(program_code)


# ---------------------------------------------------------------- beneficiaries from the registry


def beneficiary_of_person(person: Person) -> Beneficiary:
    return Beneficiary.person(
        id=person.id,
        birth_date=person.birth_date,
        sex=person.sex,
        residency=person.residency,
        document_types=frozenset(d.type for d in person.documents),
        graduated_on=person.graduated_on,
    )


def beneficiary_of_enterprise(enterprise: Enterprise) -> Beneficiary:
    return Beneficiary.enterprise(
        id=enterprise.id,
        registered_on=enterprise.registered_on,
        registered_district=enterprise.registered_district,
    )


def citywide_receipts(tenant_id: UUID, person_id: UUID) -> PriorReceipt:
    """The real ``PriorReceipt`` for a person of district ``tenant_id``: the registry's city-wide
    gate (yes/no per program, nothing else). Call it inside the district's transaction."""

    async def received(program_code: str) -> bool:
        return await citywide.has_received_program(tenant_id, person_id, program_code)

    return received


# ---------------------------------------------------------------- evaluation


def judge_conditions(
    version: PolicyVersion, facts: Mapping[str, Any], beneficiary: Beneficiary, *, on_date: date
) -> tuple[Message, ...]:
    """Every reason ``beneficiary`` does not meet the version's conditions on ``on_date`` (empty:
    meets them all). For programs that grant no money — a talent-card tier — with the same rules,
    messages and district overrides as a subsidy's eligibility."""
    reasons: list[Message] = []
    if not version.enabled:
        reasons.append(msg(R_DISABLED))
    if beneficiary.kind not in version.program.beneficiary:
        return (*reasons, msg(R_WRONG_KIND))
    situation = Situation(beneficiary, facts, on_date, (), frozenset(), version.program.code)
    reasons.extend(version.terms.eligibility.check(situation))
    return tuple(reasons)


def judge(
    version: PolicyVersion,
    facts: Mapping[str, Any],
    beneficiary: Beneficiary,
    history: Sequence[PriorAward],
    *,
    application_date: date,
    received_citywide: frozenset[str] = frozenset(),
) -> Evaluation:
    """The pure part of :func:`evaluate`: ``facts`` already typed, city-wide receipts known."""
    terms, code = version.terms, version.program.code
    reasons: list[Message] = []
    if not version.enabled:
        reasons.append(msg(R_DISABLED))
    rule = terms.rule_for(beneficiary.kind)
    if rule is None:
        reasons.append(msg(R_WRONG_KIND))
        return Evaluation(
            code, version.version_id, version.version, False, tuple(reasons), Entitlement(0), 0, ()
        )
    situation = Situation(beneficiary, facts, application_date, history, received_citywide, code)
    reasons.extend(terms.eligibility.check(situation))
    reasons.extend(rule.check(facts, application_date))
    entitlement = rule.compute(facts)
    if entitlement.amount_fen <= 0 and not reasons:
        reasons.append(msg(R_NOTHING_PAYABLE))
    outcome = apply_caps(terms.caps, entitlement.amount_fen, history, application_date, code)
    reasons.extend(outcome.reasons)
    eligible = not reasons
    capped_by = ((entitlement.capped_by,) if entitlement.capped_by else ()) + outcome.capped_by
    shown = Entitlement(entitlement.amount_fen, entitlement.lines + outcome.lines, entitlement.capped_by)
    return Evaluation(
        program_code=code,
        version_id=version.version_id,
        version=version.version,
        eligible=eligible,
        reasons=tuple(reasons),
        entitlement=shown,
        amount_fen=outcome.amount_fen if eligible else 0,
        capped_by=capped_by,
        caps=outcome.statuses,
    )


async def evaluate(
    version: PolicyVersion,
    facts: Mapping[str, Any] | None,
    beneficiary: Beneficiary,
    history: Sequence[PriorAward] = (),
    *,
    application_date: date,
    prior_receipt: PriorReceipt | None = None,
) -> Evaluation:
    """Judge one application by ``version``: facts checked against their declared types
    (``ValidationFailed`` naming ``facts.<name>``), every eligibility reason, the entitlement,
    the beneficiary's caps over ``history``. ``prior_receipt`` answers the city-wide once-per-
    lifetime question (see :func:`citywide_receipts`); without it only ``history`` is consulted."""
    terms = version.terms
    if beneficiary.kind not in version.program.beneficiary:
        return judge(version, {}, beneficiary, history, application_date=application_date)
    typed = validate_facts(terms.facts, facts, beneficiary.kind)
    received: set[str] = set()
    if prior_receipt is not None:
        for other in sorted(terms.eligibility.once_codes()):
            if await prior_receipt(other):
                received.add(other)
    return judge(
        version,
        typed,
        beneficiary,
        history,
        application_date=application_date,
        received_citywide=frozenset(received),
    )
