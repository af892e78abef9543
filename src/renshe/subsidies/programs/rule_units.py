"""Amount rules counted in units or as a share: ``fixed``, ``tiered_per_unit``,
``share_of_base`` (an exact fraction, rounded DOWN to the fen)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, ClassVar

from renshe.i18n import lazy
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Entitlement, Message, Problems, msg
from renshe.subsidies.programs.money import share_of
from renshe.subsidies.programs.rule_base import Facts, cap_at, non_negative

L_FIXED = lazy("Fixed amount: {amount}")
L_UNITS_COUNTED = lazy("{counted} of {units} units counted (at most {max_units})")
L_TIER = lazy("Units {first} to {last}: {count} × {rate} = {amount}")
L_TOTAL_CAP = lazy("Limited to the maximum of {cap} in total")
L_SHARE = lazy("{share} of {base} = {amount} (rounded down to the fen)")
L_SHARE_CAP = lazy("Limited to the maximum of {cap}")


@dataclass(frozen=True, slots=True)
class Fixed:
    kind: ClassVar[str] = "fixed"
    KEYS: ClassVar[set[str]] = {"kind", *rd.money_keys("amount")}
    amount_fen: int

    def compute(self, facts: Facts) -> Entitlement:
        return Entitlement(self.amount_fen, (msg(L_FIXED, amount_fen=self.amount_fen),))

    def fact_types(self) -> dict[str, tuple[str, ...]]:
        return {}

    def check(self, facts: Facts, on_date: date) -> list[Message]:
        return []

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "amount_fen": self.amount_fen}

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, problems: Problems) -> Fixed | None:
        amount = rd.money(data, "amount", where, problems, required=True)
        return None if amount is None else cls(amount)


@dataclass(frozen=True, slots=True)
class Tier:
    up_to: int | None  # last unit of the tier (cumulative); None: every further unit
    amount_fen: int


@dataclass(frozen=True, slots=True)
class TieredPerUnit:
    kind: ClassVar[str] = "tiered_per_unit"
    KEYS: ClassVar[set[str]] = {"kind", "unit_fact", "tiers", "max_units", *rd.money_keys("total_cap")}
    unit_fact: str
    tiers: tuple[Tier, ...]
    max_units: int | None = None
    total_cap_fen: int | None = None

    def compute(self, facts: Facts) -> Entitlement:
        units = non_negative(facts.get(self.unit_fact))
        lines: list[Message] = []
        capped_by: str | None = None
        counted = units
        if self.max_units is not None and units > self.max_units:
            counted, capped_by = self.max_units, "max_units"
            lines.append(msg(L_UNITS_COUNTED, counted=counted, units=units, max_units=self.max_units))
        total, start = 0, 0
        for tier in self.tiers:
            end = counted if tier.up_to is None else min(counted, tier.up_to)
            if end > start:
                amount = (end - start) * tier.amount_fen
                total += amount
                lines.append(
                    msg(
                        L_TIER,
                        first=start + 1,
                        last=end,
                        count=end - start,
                        rate_fen=tier.amount_fen,
                        amount_fen=amount,
                    )
                )
                start = end
            if end >= counted:
                break
        total, hit = cap_at(total, self.total_cap_fen)
        if hit:
            capped_by = "total_cap"
            lines.append(msg(L_TOTAL_CAP, cap_fen=self.total_cap_fen))
        return Entitlement(total, tuple(lines), capped_by)

    def fact_types(self) -> dict[str, tuple[str, ...]]:
        return {self.unit_fact: ("int",)}

    def check(self, facts: Facts, on_date: date) -> list[Message]:
        return []

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "unit_fact": self.unit_fact,
            "tiers": [{"up_to": t.up_to, "amount_fen": t.amount_fen} for t in self.tiers],
            "max_units": self.max_units,
            "total_cap_fen": self.total_cap_fen,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, problems: Problems) -> TieredPerUnit | None:
        unit_fact = rd.text(data, "unit_fact", where, problems, required=True)
        raw_tiers = data.get("tiers")
        tiers: list[Tier] = []
        if not isinstance(raw_tiers, list) or not raw_tiers:
            problems.add(f"{where}.tiers", "needs at least one tier {up_to = N, amount = ...}")
            raw_tiers = []
        previous = 0
        for i, raw in enumerate(raw_tiers):
            key = f"{where}.tiers[{i}]"
            item = rd.table(raw, key, problems)
            rd.unknown_keys(item, {"up_to", *rd.money_keys("amount")}, key, problems)
            amount = rd.money(item, "amount", key, problems, required=True)
            up_to = item.get("up_to")
            last = i == len(raw_tiers) - 1
            if last and up_to is not None:
                problems.add(f"{key}.up_to", "the last tier pays every further unit: leave up_to out")
            elif not last and (isinstance(up_to, bool) or not isinstance(up_to, int) or up_to <= previous):
                problems.add(f"{key}.up_to", "must be a whole number above the previous tier's")
            elif up_to is not None:
                previous = up_to
            if amount is not None:
                tiers.append(Tier(None if last else up_to, amount))
        max_units = rd.integer(data, "max_units", where, problems, minimum=1)
        total_cap = rd.money(data, "total_cap", where, problems)
        if not unit_fact or len(tiers) != len(raw_tiers) or not tiers:
            return None
        return cls(unit_fact, tuple(tiers), max_units, total_cap)


def parse_fraction(value: object) -> Fraction | None:
    """``"2/3"``, ``"0.5"`` or ``"50%"`` → an exact fraction in (0, 1]."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        share = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return share if 0 < share <= 1 else None


@dataclass(frozen=True, slots=True)
class ShareOfBase:
    kind: ClassVar[str] = "share_of_base"
    KEYS: ClassVar[set[str]] = {"kind", "base_fact", "share", *rd.money_keys("cap")}
    base_fact: str
    share: Fraction
    cap_fen: int | None = None

    def compute(self, facts: Facts) -> Entitlement:
        base = non_negative(facts.get(self.base_fact))
        amount = share_of(base, self.share)
        share_text = f"{self.share.numerator}/{self.share.denominator}"
        lines = [msg(L_SHARE, share=share_text, base_fen=base, amount_fen=amount)]
        amount, hit = cap_at(amount, self.cap_fen)
        if hit:
            lines.append(msg(L_SHARE_CAP, cap_fen=self.cap_fen))
        return Entitlement(amount, tuple(lines), "cap" if hit else None)

    def fact_types(self) -> dict[str, tuple[str, ...]]:
        return {self.base_fact: ("money",)}

    def check(self, facts: Facts, on_date: date) -> list[Message]:
        return []

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "base_fact": self.base_fact,
            "share": f"{self.share.numerator}/{self.share.denominator}",
            "cap_fen": self.cap_fen,
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, problems: Problems) -> ShareOfBase | None:
        base_fact = rd.text(data, "base_fact", where, problems, required=True)
        share = parse_fraction(data.get("share"))
        if share is None:
            problems.add(f"{where}.share", 'must be a fraction in (0, 1] such as "2/3" or "50%"')
        cap = rd.money(data, "cap", where, problems)
        return cls(base_fact, share, cap) if base_fact and share is not None else None
