"""``per_certificate_level``: level → amount, an uplift percent for listed shortage occupations
from a given level (rounded down to the fen), claimable within N months of the certificate
(职业技能提升补贴)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, ClassVar

from renshe.date_range import add_months
from renshe.i18n import lazy
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Entitlement, Message, Problems, msg
from renshe.subsidies.programs.money import share_of
from renshe.subsidies.programs.rule_base import Facts, non_negative

L_LEVEL = lazy("Certificate level {level}: {amount}")
L_LEVEL_MISSING = lazy("This policy sets no amount for certificate level {level}")
L_UPLIFT = lazy("Shortage occupation uplift of {percent}%: {amount} (rounded down to the fen)")
# Eligibility reasons of the rule itself (claim window).
R_CLAIM_WINDOW = lazy(
    "The claim must be made within {months} months of the certificate date; the certificate is of {date}."
)
R_CERTIFICATE_FUTURE = lazy("The certificate date {date} is after the application date.")
R_LEVEL_UNKNOWN = lazy("This policy sets no amount for certificate level {level}.")


@dataclass(frozen=True, slots=True)
class PerCertificateLevel:
    """Levels count up from 1 = 初级工 (五级) to 5 = 高级技师 (一级)."""

    kind: ClassVar[str] = "per_certificate_level"
    KEYS: ClassVar[set[str]] = {
        "kind",
        "level_fact",
        "occupation_fact",
        "certificate_date_fact",
        "uplift_percent",
        "uplift_min_level",
        "shortage_occupations",
        "claim_within_months",
        *rd.money_keys("levels"),
    }
    level_fact: str
    levels_fen: Mapping[int, int]
    occupation_fact: str | None = None
    certificate_date_fact: str | None = None
    uplift_percent: int = 0
    uplift_min_level: int = 3
    shortage_occupations: tuple[str, ...] = ()
    claim_within_months: int | None = None

    def compute(self, facts: Facts) -> Entitlement:
        level = non_negative(facts.get(self.level_fact))
        base = self.levels_fen.get(level)
        if base is None:
            return Entitlement(0, (msg(L_LEVEL_MISSING, level=level),))
        lines = [msg(L_LEVEL, level=level, amount_fen=base)]
        occupation = facts.get(self.occupation_fact or "")
        if self.uplift_percent and level >= self.uplift_min_level and occupation in self.shortage_occupations:
            uplift = share_of(base, Fraction(self.uplift_percent, 100))
            lines.append(msg(L_UPLIFT, percent=self.uplift_percent, amount_fen=uplift))
            base += uplift
        return Entitlement(base, tuple(lines))

    def fact_types(self) -> dict[str, tuple[str, ...]]:
        needs: dict[str, tuple[str, ...]] = {self.level_fact: ("int",)}
        if self.occupation_fact:
            needs[self.occupation_fact] = ("text", "choice")
        if self.certificate_date_fact:
            needs[self.certificate_date_fact] = ("date",)
        return needs

    def check(self, facts: Facts, on_date: date) -> list[Message]:
        reasons: list[Message] = []
        level = facts.get(self.level_fact)
        if level not in self.levels_fen:
            reasons.append(msg(R_LEVEL_UNKNOWN, level=level))
        certified = facts.get(self.certificate_date_fact or "")
        if isinstance(certified, date):
            if certified > on_date:
                reasons.append(msg(R_CERTIFICATE_FUTURE, date=certified))
            elif self.claim_within_months and on_date > add_months(certified, self.claim_within_months):
                reasons.append(msg(R_CLAIM_WINDOW, months=self.claim_within_months, date=certified))
        return reasons

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "level_fact": self.level_fact,
            "levels_fen": {str(k): v for k, v in sorted(self.levels_fen.items())},
            "occupation_fact": self.occupation_fact,
            "certificate_date_fact": self.certificate_date_fact,
            "uplift_percent": self.uplift_percent,
            "uplift_min_level": self.uplift_min_level,
            "shortage_occupations": list(self.shortage_occupations),
            "claim_within_months": self.claim_within_months,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, problems: Problems) -> PerCertificateLevel | None:
        level_fact = rd.text(data, "level_fact", where, problems, required=True)
        in_fen = "levels_fen" in data
        raw = rd.table(data.get("levels_fen" if in_fen else "levels", {}), f"{where}.levels", problems)
        levels: dict[int, int] = {}
        for name, value in raw.items():
            key = f"{where}.levels.{name}"
            amount = rd.money({"v_fen" if in_fen else "v": value}, "v", key, problems)
            if not str(name).isdigit() or not 1 <= int(name) <= 9:
                problems.add(key, "a level is a number from 1 (初级) upward")
            elif amount is not None:
                levels[int(name)] = amount
        if not levels:
            problems.add(f"{where}.levels", "needs at least one level = amount")
        amounts = [levels[k] for k in sorted(levels)]
        if amounts != sorted(amounts):
            problems.add(f"{where}.levels", "a higher level must never pay less than a lower one")
        percent = rd.integer(data, "uplift_percent", where, problems) or 0
        if percent > 100:
            problems.add(f"{where}.uplift_percent", "must be at most 100")
        occupation_fact = data.get("occupation_fact")
        shortage = rd.strings(data, "shortage_occupations", where, problems)
        if percent and (not occupation_fact or not shortage):
            problems.add(where, "an uplift needs occupation_fact and shortage_occupations")
        rule = cls(
            level_fact,
            levels,
            occupation_fact if isinstance(occupation_fact, str) else None,
            data.get("certificate_date_fact") if isinstance(data.get("certificate_date_fact"), str) else None,
            percent,
            rd.integer(data, "uplift_min_level", where, problems, minimum=1) or 3,
            shortage,
            rd.integer(data, "claim_within_months", where, problems, minimum=1),
        )
        return rule if level_fact and levels else None
