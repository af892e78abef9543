"""Policy versions (政策版本): a program's terms — facts, amount rule, eligibility, caps,
required documents — in force from ``effective_from`` to ``effective_to`` (inclusive, open when
absent), and the district overrides merged on top of the city version.

Selection: an application is judged by the version in force on its application date. Among the
versions whose window contains the date, the one with the latest ``effective_from`` wins, then
the highest version number — so a correction of a version is a NEW version with the same
``effective_from`` (stored versions are never changed: awards point at them).
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.caps import Caps, parse_caps
from renshe.subsidies.programs.card_terms import CardTerms, merge_card_override, parse_card_terms
from renshe.subsidies.programs.eligibility import Rules, parse_eligibility
from renshe.subsidies.programs.facts import FactSpec, parse_fact_specs
from renshe.subsidies.programs.model import BeneficiaryKind, Problems
from renshe.subsidies.programs.rules import AmountRule, parse_rule

FAMILIES = ("employment", "hkmo", "talent_card")
SUBSIDY_FAMILIES = ("employment", "hkmo")  # programs that pay money through awards and batches
TALENT_CARD = "talent_card"  # a tier of the talent card: grants a card (``card``), not money
TERMS_KEYS = {"facts", "amount", "eligibility", "caps", "required_documents", "card"}
OVERRIDE_KEYS = {"disabled", "amount", "caps", "eligibility", "card"}


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    """A program as the city defines it (补贴项目): code, names, family, who may apply."""

    code: str
    family: str  # employment | hkmo | talent_card
    name_zh: str
    name_en: str
    beneficiary: tuple[BeneficiaryKind, ...]
    status: str = ""  # published / illustrative, as the policy source says
    sort_order: int = 0

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_zh


@dataclass(frozen=True, slots=True)
class Terms:
    """What a version says. ``data`` is its canonical form (money in fen), stored as JSON."""

    facts: tuple[FactSpec, ...]
    amount: Mapping[BeneficiaryKind, AmountRule]
    eligibility: Rules
    caps: Caps
    required_documents: tuple[str, ...]
    data: Mapping[str, Any] = field(repr=False)
    card: CardTerms | None = None  # talent-card tiers only

    def rule_for(self, kind: BeneficiaryKind) -> AmountRule | None:
        return self.amount.get(kind)

    @property
    def digest(self) -> str:
        return terms_digest(self.data)


def terms_digest(data: Mapping[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _amount_rules(
    raw: object, kinds: tuple[BeneficiaryKind, ...], where: str, problems: Problems
) -> dict[BeneficiaryKind, AmountRule]:
    table = rd.table(raw, where, problems)
    if "kind" in table:  # one rule for every kind of applicant
        rule = parse_rule(table, where, problems)
        return dict.fromkeys(kinds, rule) if rule is not None else {}
    rules: dict[BeneficiaryKind, AmountRule] = {}
    rd.unknown_keys(table, {k.value for k in kinds}, where, problems)
    for kind in kinds:
        if kind.value not in table:
            problems.add(f"{where}.{kind.value}", "an amount rule is required for each kind of applicant")
            continue
        rule = parse_rule(table[kind.value], f"{where}.{kind.value}", problems)
        if rule is not None:
            rules[kind] = rule
    return rules


def parse_terms(
    raw: Mapping[str, Any],
    program: ProgramInfo,
    where: str,
    problems: Problems,
    document_codes: set[str] | None = None,
) -> Terms | None:
    rd.unknown_keys(raw, TERMS_KEYS | {"effective_from", "effective_to"}, where, problems)
    kinds = frozenset(program.beneficiary)
    facts = parse_fact_specs(raw.get("facts"), f"{where}.facts", problems)
    by_name = {f.name: f for f in facts}
    card = None
    if program.family == TALENT_CARD:
        if raw.get("amount") is not None:
            problems.add(f"{where}.amount", "a talent-card tier grants a card, not money: no amount")
        card = parse_card_terms(raw.get("card"), f"{where}.card", problems)
        amount: dict[BeneficiaryKind, AmountRule] = {}
    else:
        if raw.get("card") is not None:
            problems.add(f"{where}.card", "only a talent-card tier has a card table")
        amount = _amount_rules(raw.get("amount"), program.beneficiary, f"{where}.amount", problems)
    for kind, rule in amount.items():
        for fact, types in rule.fact_types().items():
            spec = by_name.get(fact)
            if spec is None or spec.type not in types or not spec.applies_to(kind):
                problems.add(
                    f"{where}.amount",
                    f"reads fact {fact!r}: declare it as {' or '.join(types)} for {kind.value} applicants",
                )
    eligibility = parse_eligibility(
        raw.get("eligibility"),
        f"{where}.eligibility",
        problems,
        program_code=program.code,
        kinds=kinds,
        facts=by_name,
    )
    caps = parse_caps(raw.get("caps"), f"{where}.caps", problems)
    documents = rd.strings(raw, "required_documents", where, problems)
    if document_codes is not None:
        for code in documents:
            if code not in document_codes:
                problems.add(f"{where}.required_documents", f"{code!r} is not in the [documents] table")
    if card is not None:
        data: dict[str, Any] = {
            "facts": [f.to_data() for f in facts],
            "amount": None,
            "eligibility": eligibility,
            "caps": caps.to_data(),
            "required_documents": list(documents),
            "card": card.to_data(),
        }
        return Terms(facts, amount, Rules(eligibility, by_name), caps, documents, data, card)
    if len(amount) != len(kinds) or program.family == TALENT_CARD:
        return None
    first_rule = next(iter(amount.values()))
    shared = all(r is first_rule for r in amount.values()) and len(amount) >= 1
    data = {
        "facts": [f.to_data() for f in facts],
        "amount": first_rule.to_data() if shared else {k.value: r.to_data() for k, r in amount.items()},
        "eligibility": eligibility,
        "caps": caps.to_data(),
        "required_documents": list(documents),
    }
    return Terms(facts, amount, Rules(eligibility, by_name), caps, documents, data)


@dataclass(frozen=True, slots=True)
class VersionDefinition:
    """One dated version as the catalogue (or the database) holds it."""

    effective_from: date
    effective_to: date | None
    terms: Terms

    def in_force(self, on_date: date) -> bool:
        return self.effective_from <= on_date and (self.effective_to is None or on_date <= self.effective_to)


def parse_version(
    raw: Mapping[str, Any],
    program: ProgramInfo,
    where: str,
    problems: Problems,
    document_codes: set[str] | None = None,
) -> VersionDefinition | None:
    start = rd.a_date(raw.get("effective_from"), f"{where}.effective_from", problems)
    end = raw.get("effective_to")
    end_date = rd.a_date(end, f"{where}.effective_to", problems) if end is not None else None
    if start and end_date and end_date < start:
        problems.add(f"{where}.effective_to", "is before effective_from")
    terms = parse_terms(raw, program, where, problems, document_codes)
    if start is None or terms is None:
        return None
    return VersionDefinition(start, end_date, terms)


def select_version(versions: Sequence[tuple[int, VersionDefinition]], on_date: date) -> int | None:
    """The index (into ``versions`` of ``(version number, definition)``) in force on ``on_date``."""
    best: tuple[date, int] | None = None
    chosen = None
    for i, (number, version) in enumerate(versions):
        if version.in_force(on_date) and (best is None or (version.effective_from, number) > best):
            best, chosen = (version.effective_from, number), i
    return chosen


# ---------------------------------------------------------------- district overrides


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> None:
    """Put ``override``'s keys over ``base``; ``amount`` replaces ``amount_fen`` and back."""
    for key, value in override.items():
        plain = key.removesuffix("_fen")
        base.pop(plain, None)
        base.pop(f"{plain}_fen", None)
        base[key] = value


def merged_terms_data(
    base: Mapping[str, Any], override: Mapping[str, Any], where: str, problems: Problems
) -> dict[str, Any]:
    """The city terms with one district's ``[programs.CODE]`` table merged on top (checked later
    by parsing the result)."""
    data = copy.deepcopy(dict(base))
    rd.unknown_keys(override, OVERRIDE_KEYS, where, problems)
    if not isinstance(override.get("disabled", False), bool):
        problems.add(f"{where}.disabled", "must be true or false")
    card = override.get("card")
    if card is not None:
        if not isinstance(data.get("card"), dict):
            problems.add(f"{where}.card", "only a talent-card tier has a card table")
        else:
            data["card"] = merge_card_override(data["card"], card, f"{where}.card", problems)
    amount = override.get("amount")
    if amount is not None:
        amount = rd.table(amount, f"{where}.amount", problems)
        target = data["amount"]
        if "kind" in target:
            if "kind" in amount and amount["kind"] != target["kind"]:
                problems.add(f"{where}.amount.kind", "a district cannot change the kind of amount rule")
            _merge(target, {k: v for k, v in amount.items() if k != "kind"})
        else:
            for kind, sub in amount.items():
                if kind not in target or not isinstance(sub, dict):
                    problems.add(f"{where}.amount.{kind}", f"must be one of the tables {', '.join(target)}")
                    continue
                if sub.get("kind", target[kind]["kind"]) != target[kind]["kind"]:
                    problems.add(f"{where}.amount.{kind}.kind", "a district cannot change the kind of rule")
                _merge(target[kind], {k: v for k, v in sub.items() if k != "kind"})
    caps = override.get("caps")
    if caps is not None:
        _merge(data["caps"], rd.table(caps, f"{where}.caps", problems))
    eligibility = override.get("eligibility")
    if eligibility is not None:
        # a rule is replaced whole (``age = {min = 18, max = 55}``); ``false`` removes a rule
        for key, value in rd.table(eligibility, f"{where}.eligibility", problems).items():
            data["eligibility"][key] = value
    return data


def apply_override(program: ProgramInfo, terms: Terms, override: Mapping[str, Any], source: str) -> Terms:
    """The terms with a district's override applied; ``DefinitionError`` names ``source`` (the
    district's file) and the dotted key of each problem."""
    where = f"programs.{program.code}"
    problems = Problems()
    data = merged_terms_data(terms.data, override, where, problems)
    data["eligibility"] = {k: v for k, v in data["eligibility"].items() if v is not False}
    problems.raise_if_any(source)
    merged = parse_terms(data, program, where, problems)
    problems.raise_if_any(source)
    assert merged is not None  # parse_terms returns None only with problems
    return merged


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    """The version in force for one district on one date: what an application is judged by and
    what an award freezes (``snapshot``)."""

    program: ProgramInfo
    version_id: UUID | None
    version: int
    effective_from: date
    effective_to: date | None
    terms: Terms
    district_code: str | None = None
    override: Mapping[str, Any] | None = None
    enabled: bool = True

    @property
    def digest(self) -> str:
        """SHA-256 of the terms as applied (city version with the district's override)."""
        return self.terms.digest

    def snapshot(self) -> dict[str, Any]:
        """JSON to store with an award: which version, which district override, the exact terms."""
        return {
            "program_code": self.program.code,
            "version_id": str(self.version_id) if self.version_id else None,
            "version": self.version,
            "effective_from": self.effective_from.isoformat(),
            "effective_to": self.effective_to.isoformat() if self.effective_to else None,
            "district_code": self.district_code,
            "override": dict(self.override) if self.override else None,
            "terms": self.terms.data,
            "digest": self.digest,
        }


def parse_program(raw: Mapping[str, Any], where: str, problems: Problems) -> ProgramInfo | None:
    code = rd.text(raw, "code", where, problems, required=True)
    family = rd.text(raw, "family", where, problems, required=True)
    if family and family not in FAMILIES:
        problems.add(f"{where}.family", f"must be one of {', '.join(FAMILIES)}")
    kinds = rd.strings(raw, "beneficiary", where, problems)
    if not kinds or not set(kinds) <= {k.value for k in BeneficiaryKind}:
        problems.add(f"{where}.beneficiary", "must list person and/or enterprise")
        return None
    info = ProgramInfo(
        code=code,
        family=family,
        name_zh=rd.text(raw, "name_zh", where, problems, required=True),
        name_en=rd.text(raw, "name_en", where, problems, required=True),
        beneficiary=tuple(BeneficiaryKind(k) for k in kinds),
        status=rd.text(raw, "status", where, problems),
        sort_order=rd.integer(raw, "sort_order", where, problems) or 0,
    )
    return info if code else None
