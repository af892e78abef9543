"""``per_month``: a monthly amount, or the actual monthly cost up to a monthly maximum, × months;
a maximum per 12-month year, a maximum number of months and a total maximum (租金补贴,
社会保险补贴)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from renshe.i18n import lazy
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Entitlement, Message, Problems, msg
from renshe.subsidies.programs.rule_base import Facts, cap_at, non_negative
from renshe.subsidies.programs.rule_units import L_TOTAL_CAP

L_MONTHS_COUNTED = lazy("{counted} of {months} months counted (at most {max_months})")
L_MONTHLY_MAX = lazy("Monthly cost {cost} limited to the monthly maximum of {max}")
L_MONTHS = lazy("{months} months × {monthly} = {amount}")
L_YEAR = lazy("Year {year}: {months} months × {monthly} = {amount}")
L_YEAR_CAP = lazy("Year {year}: limited to the yearly maximum of {cap}")


@dataclass(frozen=True, slots=True)
class PerMonth:
    kind: ClassVar[str] = "per_month"
    KEYS: ClassVar[set[str]] = {
        "kind",
        "months_fact",
        "monthly_cost_fact",
        "max_months",
        *rd.money_keys("monthly_amount", "monthly_max", "per_year_cap", "total_cap"),
    }
    months_fact: str
    monthly_amount_fen: int | None = None  # a set amount per month …
    monthly_cost_fact: str | None = None  # … or the actual monthly cost (rent, contributions)
    monthly_max_fen: int | None = None
    per_year_cap_fen: int | None = None  # per 12 months claimed
    max_months: int | None = None
    total_cap_fen: int | None = None

    def compute(self, facts: Facts) -> Entitlement:
        months = non_negative(facts.get(self.months_fact))
        lines: list[Message] = []
        capped_by: str | None = None
        if self.max_months is not None and months > self.max_months:
            lines.append(
                msg(L_MONTHS_COUNTED, counted=self.max_months, months=months, max_months=self.max_months)
            )
            months, capped_by = self.max_months, "max_months"
        if self.monthly_amount_fen is not None:
            monthly = self.monthly_amount_fen
        else:
            cost = non_negative(facts.get(self.monthly_cost_fact or ""))
            monthly, hit = cap_at(cost, self.monthly_max_fen)
            if hit:
                capped_by = "monthly_max"
                lines.append(msg(L_MONTHLY_MAX, cost_fen=cost, max_fen=self.monthly_max_fen))
        if self.per_year_cap_fen is None:
            total = months * monthly
            lines.append(msg(L_MONTHS, months=months, monthly_fen=monthly, amount_fen=total))
        else:
            total, year, left = 0, 0, months
            while left > 0 or year == 0:
                year += 1
                in_year = min(12, left)
                left -= in_year
                amount = in_year * monthly
                line = L_MONTHS if months <= 12 else L_YEAR
                lines.append(msg(line, year=year, months=in_year, monthly_fen=monthly, amount_fen=amount))
                amount, hit = cap_at(amount, self.per_year_cap_fen)
                if hit:
                    capped_by = "per_year_cap"
                    lines.append(msg(L_YEAR_CAP, year=year, cap_fen=self.per_year_cap_fen))
                total += amount
        total, hit = cap_at(total, self.total_cap_fen)
        if hit:
            capped_by = "total_cap"
            lines.append(msg(L_TOTAL_CAP, cap_fen=self.total_cap_fen))
        return Entitlement(total, tuple(lines), capped_by)

    def fact_types(self) -> dict[str, tuple[str, ...]]:
        needs: dict[str, tuple[str, ...]] = {self.months_fact: ("int",)}
        if self.monthly_cost_fact:
            needs[self.monthly_cost_fact] = ("money",)
        return needs

    def check(self, facts: Facts, on_date: date) -> list[Message]:
        return []

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "months_fact": self.months_fact,
            "monthly_amount_fen": self.monthly_amount_fen,
            "monthly_cost_fact": self.monthly_cost_fact,
            "monthly_max_fen": self.monthly_max_fen,
            "per_year_cap_fen": self.per_year_cap_fen,
            "max_months": self.max_months,
            "total_cap_fen": self.total_cap_fen,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, problems: Problems) -> PerMonth | None:
        months_fact = rd.text(data, "months_fact", where, problems, required=True)
        monthly = rd.money(data, "monthly_amount", where, problems)
        cost_fact = data.get("monthly_cost_fact")
        if (monthly is None) == (cost_fact is None):
            problems.add(where, "set exactly one of monthly_amount and monthly_cost_fact")
        if cost_fact is not None and not isinstance(cost_fact, str):
            problems.add(f"{where}.monthly_cost_fact", "must be a fact name")
            cost_fact = None
        monthly_max = rd.money(data, "monthly_max", where, problems)
        if monthly_max is not None and cost_fact is None:
            problems.add(f"{where}.monthly_max", "only limits an actual monthly cost (monthly_cost_fact)")
        rule = cls(
            months_fact,
            monthly,
            cost_fact,
            monthly_max,
            rd.money(data, "per_year_cap", where, problems),
            rd.integer(data, "max_months", where, problems, minimum=1),
            rd.money(data, "total_cap", where, problems),
        )
        return rule if months_fact else None
