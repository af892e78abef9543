"""Eligibility rules (申领条件): every condition is checked and EVERY failure is reported, so the
clerk sees all the reasons at once.

A program version's ``eligibility`` table holds at most one rule of each kind (so a district
override can replace one by its key):

``age`` ``{min, max, min_female, max_female}`` · ``residency`` [..] · ``documents`` [..] (holds
one of) · ``graduated_within_years`` N · ``enterprise_registered_within_years`` N or
``{first_claim, later_claims}`` · ``enterprise_registered_in`` ``{code_prefix, name_zh,
name_en}`` · ``once_per_lifetime`` true or [program codes] (city-wide) · ``flags`` [bool facts
that must be true] · ``not_flags`` [bool facts that must not be true: 公务员] ·
``includes_any`` ``{fact, values}`` (a ``choices`` fact holds at least one of the values: a
talent's qualifications) · ``fact_limits`` [{fact, min, max, required?}] (``required``: an optional fact not
given fails the limit instead of passing it) · ``any_of`` [tables: at least one must
hold entirely] · ``for_person`` / ``for_enterprise`` (tables that apply to that kind only).

Person rules (age, residency, documents, graduation) cannot sit at the top level of a program
open to enterprises, nor enterprise rules in one open to people: put them under ``for_person`` /
``for_enterprise``. A condition that silently did not apply would be a hole.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from renshe.i18n import lazy
from renshe.registry.identifiers import DocumentType, Residency
from renshe.registry.identifiers.model import DOCUMENT_TYPE_LABELS, RESIDENCY_LABELS
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.facts import FactSpec
from renshe.subsidies.programs.model import (
    Beneficiary,
    BeneficiaryKind,
    ChoiceName,
    Label,
    Message,
    PriorAward,
    Problems,
    Text,
    msg,
)

R_AGE_RANGE = lazy("Must be aged {min} to {max} on the application date; is {age}.")
R_AGE_MIN = lazy("Must be at least {min} years old on the application date; is {age}.")
R_AGE_MAX = lazy("Must be at most {max} years old on the application date; is {age}.")
R_NO_BIRTH_DATE = lazy("The birth date is not recorded; the age limit cannot be checked.")
R_NO_SEX = lazy("The sex is not recorded; the age limit depends on it.")
R_RESIDENCY = lazy("Residency must be one of: {allowed}; is {actual}.")
R_DOCUMENTS = lazy("Must hold one of these documents: {allowed}.")
R_GRADUATED = lazy("Must have graduated within the last {years} years; graduated in {year}.")
R_NO_GRADUATION = lazy("Must have graduated within the last {years} years; no graduation date is recorded.")
R_REGISTERED = lazy(
    "The enterprise must have been registered within the last {years} years; registered on {date}."
)
R_NO_REGISTRATION = lazy("The enterprise's registration date is not recorded.")
R_REGISTERED_IN = lazy("The enterprise must be registered in {area}.")
R_ONCE = lazy("Has already received this subsidy, which is paid once per lifetime in the whole city.")
R_FLAG = lazy("Condition not met: {condition}.")
R_NOT_FLAG = lazy("Excluded: {condition}.")
R_INCLUDES_ANY = lazy("{label} must include one of: {allowed}.")
R_FACT_MIN = lazy("{label} must be at least {min}; is {value}.")
R_FACT_MISSING = lazy("{label} is needed for this condition and was not given.")
R_FACT_MAX = lazy("{label} must be at most {max}; is {value}.")
R_ANY_OF = lazy("Meets none of the qualifying conditions:")
R_ALTERNATIVE = lazy("Condition {number}:")
R_WRONG_KIND = lazy("This program is not open to this kind of applicant.")

PERSON_RULES = ("age", "residency", "documents", "graduated_within_years")
ENTERPRISE_RULES = ("enterprise_registered_within_years", "enterprise_registered_in")
COMMON_RULES = (
    "once_per_lifetime", "flags", "not_flags", "includes_any", "fact_limits", "any_of", "for_person",
    "for_enterprise",
)  # fmt: skip
ALL_RULES = (*PERSON_RULES, *ENTERPRISE_RULES, *COMMON_RULES)


@dataclass(frozen=True, slots=True)
class Situation:
    """What the rules look at: the applicant, the typed facts, the application date, the prior
    awards and the programs the city-wide gate says were already received."""

    beneficiary: Beneficiary
    facts: Mapping[str, Any]
    on_date: date
    history: Sequence[PriorAward] = ()
    received_citywide: Collection[str] = frozenset()
    program_code: str = ""


def years_between(start: date, end: date) -> int:
    """Whole years from ``start`` to ``end`` (an age; 29 February counts on 28 February)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True, slots=True)
class Rules:
    """One all-of group of conditions (the ``eligibility`` table, or one ``any_of`` entry)."""

    data: Mapping[str, Any]
    fact_specs: Mapping[str, FactSpec] = field(default_factory=dict)

    # ---------------------------------------------------------------- checking

    def check(self, s: Situation) -> list[Message]:
        reasons: list[Message] = []
        for name, value in self.data.items():
            reasons.extend(getattr(self, f"_{name}")(value, s))
        return reasons

    def _age(self, value: Mapping[str, int], s: Situation) -> list[Message]:
        b = s.beneficiary
        low, high = value.get("min"), value.get("max")
        if "min_female" in value or "max_female" in value:
            if b.sex is None:
                return [msg(R_NO_SEX)]
            if b.sex == "female":
                low, high = value.get("min_female", low), value.get("max_female", high)
        if b.birth_date is None:
            return [msg(R_NO_BIRTH_DATE)]
        age = years_between(b.birth_date, s.on_date)
        if (low is None or age >= low) and (high is None or age <= high):
            return []
        if low is not None and high is not None:
            return [msg(R_AGE_RANGE, min=low, max=high, age=age)]
        return [msg(R_AGE_MIN, min=low, age=age) if low is not None else msg(R_AGE_MAX, max=high, age=age)]

    def _residency(self, value: Sequence[str], s: Situation) -> list[Message]:
        actual = s.beneficiary.residency
        if actual in value:
            return []
        labels = tuple(Label(RESIDENCY_LABELS[Residency(v)]) for v in value)
        shown: Label | str = Label(RESIDENCY_LABELS[Residency(actual)]) if actual in set(Residency) else "—"
        return [msg(R_RESIDENCY, allowed=labels, actual=shown)]

    def _documents(self, value: Sequence[str], s: Situation) -> list[Message]:
        if s.beneficiary.document_types & set(value):
            return []
        return [msg(R_DOCUMENTS, allowed=tuple(Label(DOCUMENT_TYPE_LABELS[DocumentType(v)]) for v in value))]

    def _graduated_within_years(self, years: int, s: Situation) -> list[Message]:
        graduated = s.beneficiary.graduated_on
        if graduated is None:
            return [msg(R_NO_GRADUATION, years=years)]
        if _years_before(s.on_date, years) <= graduated <= s.on_date:
            return []
        return [msg(R_GRADUATED, years=years, year=graduated.year)]

    def _enterprise_registered_within_years(self, value: Any, s: Situation) -> list[Message]:
        if isinstance(value, Mapping):
            claimed = any(a.program_code == s.program_code for a in s.history)
            years = value["later_claims"] if claimed else value["first_claim"]
        else:
            years = value
        registered = s.beneficiary.registered_on
        if registered is None:
            return [msg(R_NO_REGISTRATION)]
        if _years_before(s.on_date, years) <= registered <= s.on_date:
            return []
        return [msg(R_REGISTERED, years=years, date=registered)]

    def _enterprise_registered_in(self, value: Mapping[str, str], s: Situation) -> list[Message]:
        district = s.beneficiary.registered_district or ""
        if district.startswith(value["code_prefix"]):
            return []
        return [msg(R_REGISTERED_IN, area=Text(value["name_zh"], value["name_en"]))]

    def _once_per_lifetime(self, value: Sequence[str], s: Situation) -> list[Message]:
        if set(value) & set(s.received_citywide) or any(a.program_code in value for a in s.history):
            return [msg(R_ONCE)]
        return []

    def _label(self, fact: str) -> Text:
        spec = self.fact_specs.get(fact)
        return Text(spec.label_zh, spec.label_en) if spec else Text(fact, fact)

    def _flags(self, value: Sequence[str], s: Situation) -> list[Message]:
        return [msg(R_FLAG, condition=self._label(f)) for f in value if s.facts.get(f) is not True]

    def _not_flags(self, value: Sequence[str], s: Situation) -> list[Message]:
        return [msg(R_NOT_FLAG, condition=self._label(f)) for f in value if s.facts.get(f) is True]

    def _includes_any(self, value: Mapping[str, Any], s: Situation) -> list[Message]:
        held = s.facts.get(value["fact"]) or ()
        if set(held) & set(value["values"]):
            return []
        allowed = tuple(ChoiceName(v) for v in value["values"])
        return [msg(R_INCLUDES_ANY, label=self._label(value["fact"]), allowed=allowed)]

    def _fact_limits(self, value: Sequence[Mapping[str, Any]], s: Situation) -> list[Message]:
        reasons = []
        for limit in value:
            fact = limit["fact"]
            actual = s.facts.get(fact)
            if not isinstance(actual, int):
                if limit.get("required"):  # the condition rests on it (a salary threshold)
                    reasons.append(msg(R_FACT_MISSING, label=self._label(fact)))
                continue  # an optional fact not given: nothing to limit
            suffix = "_fen" if fact.endswith("_fen") else ""
            low, high = limit.get("min" + suffix), limit.get("max" + suffix)
            if low is not None and actual < low:
                reasons.append(
                    msg(
                        R_FACT_MIN, label=self._label(fact), **{"min" + suffix: low, "value" + suffix: actual}
                    )
                )
            if high is not None and actual > high:
                reasons.append(
                    msg(
                        R_FACT_MAX,
                        label=self._label(fact),
                        **{"max" + suffix: high, "value" + suffix: actual},
                    )
                )
        return reasons

    def _any_of(self, value: Sequence[Mapping[str, Any]], s: Situation) -> list[Message]:
        failures = []
        for number, group in enumerate(value, start=1):
            reasons = Rules(group, self.fact_specs).check(s)
            if not reasons:
                return []
            failures.append(Message(R_ALTERNATIVE, {"number": number}, tuple(reasons)))
        return [Message(R_ANY_OF, {}, tuple(failures))]

    def _for_person(self, value: Mapping[str, Any], s: Situation) -> list[Message]:
        if s.beneficiary.kind != BeneficiaryKind.PERSON:
            return []
        return Rules(value, self.fact_specs).check(s)

    def _for_enterprise(self, value: Mapping[str, Any], s: Situation) -> list[Message]:
        if s.beneficiary.kind != BeneficiaryKind.ENTERPRISE:
            return []
        return Rules(value, self.fact_specs).check(s)

    # ---------------------------------------------------------------- reading

    def once_codes(self) -> set[str]:
        """Every program code a ``once_per_lifetime`` rule asks the city-wide gate about."""
        codes = set(self.data.get("once_per_lifetime", ()))
        for group in self.data.get("any_of", ()):
            codes |= Rules(group).once_codes()
        for key in ("for_person", "for_enterprise"):
            if key in self.data:
                codes |= Rules(self.data[key]).once_codes()
        return codes


def _kind_rules(name: str, kinds: frozenset[BeneficiaryKind], where: str, problems: Problems) -> None:
    if name in PERSON_RULES and BeneficiaryKind.PERSON not in kinds:
        problems.add(f"{where}.{name}", "applies to people: put it under for_person")
    if name in PERSON_RULES and BeneficiaryKind.ENTERPRISE in kinds:
        problems.add(f"{where}.{name}", "the program is open to enterprises too: put it under for_person")
    if name in ENTERPRISE_RULES and BeneficiaryKind.ENTERPRISE not in kinds:
        problems.add(f"{where}.{name}", "applies to enterprises: put it under for_enterprise")
    if name in ENTERPRISE_RULES and BeneficiaryKind.PERSON in kinds:
        problems.add(f"{where}.{name}", "the program is open to people too: put it under for_enterprise")


def _choices(values: tuple[str, ...], allowed: Collection[str], key: str, problems: Problems) -> list[str]:
    for v in values:
        if v not in allowed:
            problems.add(key, f"{v!r} is not one of {', '.join(sorted(allowed))}")
    return list(values)


def parse_eligibility(  # noqa: PLR0912 - one branch per rule kind
    raw: object,
    where: str,
    problems: Problems,
    *,
    program_code: str,
    kinds: frozenset[BeneficiaryKind],
    facts: Mapping[str, FactSpec],
) -> dict[str, Any]:
    """Canonical eligibility data (``Rules(data)`` checks it); every problem is collected."""
    table = rd.table(raw if raw is not None else {}, where, problems)
    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{where}.{name}"
        if name not in ALL_RULES:
            problems.add(key, f"unknown rule; known: {', '.join(ALL_RULES)}")
            continue
        _kind_rules(name, kinds, where, problems)
        if name == "age":
            age = rd.table(value, key, problems)
            rd.unknown_keys(age, {"min", "max", "min_female", "max_female"}, key, problems)
            out[name] = {k: v for k in age if (v := rd.integer(age, k, key, problems)) is not None}
        elif name == "residency":
            out[name] = _choices(
                rd.strings(table, name, where, problems), {r.value for r in Residency}, key, problems
            )
        elif name == "documents":
            out[name] = _choices(
                rd.strings(table, name, where, problems), {d.value for d in DocumentType}, key, problems
            )
        elif name == "graduated_within_years":
            out[name] = rd.integer(table, name, where, problems, minimum=1)
        elif name == "enterprise_registered_within_years":
            if isinstance(value, dict):
                rd.unknown_keys(value, {"first_claim", "later_claims"}, key, problems)
                out[name] = {
                    k: rd.integer(value, k, key, problems, required=True, minimum=1)
                    for k in ("first_claim", "later_claims")
                }
            else:
                out[name] = rd.integer(table, name, where, problems, minimum=1)
        elif name == "enterprise_registered_in":
            area = rd.table(value, key, problems)
            rd.unknown_keys(area, {"code_prefix", "name_zh", "name_en"}, key, problems)
            out[name] = {
                k: rd.text(area, k, key, problems, required=True)
                for k in ("code_prefix", "name_zh", "name_en")
            }
        elif name == "once_per_lifetime":
            if value is True:
                out[name] = [program_code]
            elif value is False:
                continue
            else:
                out[name] = list(rd.strings(table, name, where, problems))
        elif name in ("flags", "not_flags"):
            flags = rd.strings(table, name, where, problems)
            for flag in flags:
                if facts.get(flag) is None or facts[flag].type != "bool":
                    problems.add(key, f"{flag!r} is not a declared bool fact")
            out[name] = list(flags)
        elif name == "includes_any":
            out[name] = _includes_any(value, key, problems, facts)
        elif name == "fact_limits":
            out[name] = _fact_limits(value, key, problems, facts)
        elif name == "any_of":
            if not isinstance(value, list) or len(value) < 2:
                problems.add(key, "needs at least two alternative tables [[...any_of]]")
                continue
            out[name] = [
                parse_eligibility(
                    g, f"{key}[{i}]", problems, program_code=program_code, kinds=kinds, facts=facts
                )
                for i, g in enumerate(value)
            ]
        else:  # for_person / for_enterprise
            only = BeneficiaryKind.PERSON if name == "for_person" else BeneficiaryKind.ENTERPRISE
            if only not in kinds:
                problems.add(key, f"the program is not open to {only.value}s")
            out[name] = parse_eligibility(
                value, key, problems, program_code=program_code, kinds=frozenset({only}), facts=facts
            )
    return out


def _includes_any(
    value: object, key: str, problems: Problems, facts: Mapping[str, FactSpec]
) -> dict[str, Any]:
    table = rd.table(value, key, problems)
    rd.unknown_keys(table, {"fact", "values"}, key, problems)
    fact = table.get("fact")
    spec = facts.get(fact) if isinstance(fact, str) else None
    values = list(rd.strings(table, "values", key, problems))
    if spec is None or spec.type != "choices":
        problems.add(f"{key}.fact", "must name a declared choices fact")
    else:
        for v in values:
            if v not in spec.choices:
                problems.add(f"{key}.values", f"{v!r} is not one of the fact's choices")
    if not values:
        problems.add(f"{key}.values", "needs at least one value")
    return {"fact": fact, "values": values}


def _fact_limits(
    value: object, key: str, problems: Problems, facts: Mapping[str, FactSpec]
) -> list[dict[str, Any]]:
    limits: list[dict[str, Any]] = []
    if not isinstance(value, list):
        problems.add(key, "must be a list of {fact, min, max} tables")
        return limits
    for i, raw in enumerate(value):
        item_key = f"{key}[{i}]"
        item = rd.table(raw, item_key, problems)
        fact = item.get("fact")
        spec = facts.get(fact) if isinstance(fact, str) else None
        if spec is None or spec.type not in ("int", "money"):
            problems.add(f"{item_key}.fact", "must name a declared int or money fact")
            continue
        limit: dict[str, Any] = {"fact": fact}
        money = spec.type == "money"
        rd.unknown_keys(
            item,
            {"fact", "required", *(rd.money_keys("min", "max") if money else ("min", "max"))},
            item_key,
            problems,
        )
        if item.get("required") is True:
            limit["required"] = True
        for bound in ("min", "max"):
            if money:  # canonical: min_fen / max_fen, like every stored amount
                amount = rd.money(item, bound, item_key, problems)
            else:
                amount = rd.integer(item, bound, item_key, problems)
            if amount is not None:
                limit[bound + ("_fen" if money else "")] = amount
        limits.append(limit)
    return limits
