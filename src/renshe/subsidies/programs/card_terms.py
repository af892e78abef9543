"""The card section of a talent-card tier's version (人才卡权益): validity, renewal window and
benefits with their yearly quotas.

A tier of the talent card (``family = "talent_card"``) is a program like any other: dated
versions, facts, eligibility rules, district overrides. What it grants is not money but a card, so
its version has no ``amount`` and has a ``card`` table instead::

    [programs.versions.card]
    validity_years = 3
    renewal_window_days = 30

      [[programs.versions.card.benefits]]
      code = "school_place"
      name_zh = "子女入学"
      name_en = "School places for children"
      yearly_quota = 1          # absent: no quota

A district override may change ``validity_years``, ``renewal_window_days`` and the quotas
(``card = { quotas = { medical_green_channel = 6 } }``), not the list of benefits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from renshe.i18n import current_locale
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Problems

MAX_VALIDITY_YEARS = 10


@dataclass(frozen=True, slots=True)
class Benefit:
    code: str
    name_zh: str
    name_en: str
    yearly_quota: int | None  # uses per card and calendar year; None: unlimited

    def name(self) -> str:
        return self.name_en if current_locale.get() == "en" else self.name_zh

    def to_data(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "yearly_quota": self.yearly_quota,
        }


@dataclass(frozen=True, slots=True)
class CardTerms:
    validity_years: int
    renewal_window_days: int
    benefits: tuple[Benefit, ...]

    def benefit(self, code: str) -> Benefit | None:
        return next((b for b in self.benefits if b.code == code), None)

    def to_data(self) -> dict[str, Any]:
        return {
            "validity_years": self.validity_years,
            "renewal_window_days": self.renewal_window_days,
            "benefits": [b.to_data() for b in self.benefits],
        }


def parse_card_terms(raw: object, where: str, problems: Problems) -> CardTerms | None:
    table = rd.table(raw, where, problems)
    rd.unknown_keys(table, {"validity_years", "renewal_window_days", "benefits", "quotas"}, where, problems)
    years = rd.integer(table, "validity_years", where, problems, required=True, minimum=1)
    if years is not None and years > MAX_VALIDITY_YEARS:
        problems.add(f"{where}.validity_years", f"must be at most {MAX_VALIDITY_YEARS}")
    window = rd.integer(table, "renewal_window_days", where, problems, required=True, minimum=1)
    benefits: list[Benefit] = []
    raw_benefits = table.get("benefits", [])
    if not isinstance(raw_benefits, list):
        problems.add(f"{where}.benefits", "must be a list of [[...benefits]] tables")
        raw_benefits = []
    quotas = rd.table(table.get("quotas", {}), f"{where}.quotas", problems)
    for i, item in enumerate(raw_benefits):
        key = f"{where}.benefits[{i}]"
        # canonical data writes an absent quota as null: the same as leaving it out
        b = {k: v for k, v in rd.table(item, key, problems).items() if v is not None}
        rd.unknown_keys(b, {"code", "name_zh", "name_en", "yearly_quota"}, key, problems)
        code = rd.text(b, "code", key, problems, required=True)
        if code and not code.isidentifier():
            problems.add(f"{key}.code", "must be an identifier")
        if any(other.code == code for other in benefits):
            problems.add(f"{key}.code", f"{code!r} is listed twice")
        quota_table = {"yearly_quota": quotas[code]} if code in quotas else b
        quota = rd.integer(quota_table, "yearly_quota", key, problems, minimum=1)
        benefits.append(
            Benefit(
                code=code,
                name_zh=rd.text(b, "name_zh", key, problems, required=True),
                name_en=rd.text(b, "name_en", key, problems, required=True),
                yearly_quota=quota,
            )
        )
    for code in quotas:
        if not any(b.code == code for b in benefits):
            problems.add(f"{where}.quotas.{code}", "is not one of the tier's benefits")
    if years is None or window is None:
        return None
    return CardTerms(years, window, tuple(benefits))


def merge_card_override(
    base: Mapping[str, Any], override: object, where: str, problems: Problems
) -> dict[str, Any]:
    """The canonical card table with a district's ``card`` override on top (quotas by benefit)."""
    data = {**base, "benefits": [dict(b) for b in base.get("benefits", [])]}
    table = rd.table(override, where, problems)
    rd.unknown_keys(table, {"validity_years", "renewal_window_days", "quotas"}, where, problems)
    for key in ("validity_years", "renewal_window_days"):
        if key in table:
            data[key] = table[key]
    if "quotas" in table:
        data["quotas"] = table["quotas"]
    return data
