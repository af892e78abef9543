"""Amount rules (补贴标准): how much a program pays, in integer fen.

Five kinds, each a frozen dataclass read from a definition table (``parse_rule``) and written
back in canonical form (``to_data``, money in ``*_fen``):

* ``fixed`` — one amount (一次性创业资助 10,000 yuan);
* ``tiered_per_unit`` — first N units at A each, further units at B each, optional unit and
  total maxima (创业带动就业补贴: 2,000 × 3 then 3,000 each, at most 30,000);
* ``per_month`` — a monthly amount, or the actual monthly cost up to a monthly maximum, × months,
  with a maximum per 12-month year, a maximum number of months and a total maximum (租金补贴);
* ``share_of_base`` — an exact fraction (2/3) of a documented amount, ROUNDED DOWN to the fen,
  with an optional maximum (灵活就业社保补贴);
* ``per_certificate_level`` — level → amount, plus an uplift percent for listed shortage
  occupations from a given level, claimable within N months of the certificate (职业技能提升补贴).

Every maximum only lowers an amount: when the computed amount is below a maximum, the computed
amount is paid. Every rule is monotone: more units, months or base never pays less.
"""

from __future__ import annotations

from typing import Any

from renshe.date_range import add_months
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Problems
from renshe.subsidies.programs.rule_base import AmountRule, Facts
from renshe.subsidies.programs.rule_levels import PerCertificateLevel
from renshe.subsidies.programs.rule_months import PerMonth
from renshe.subsidies.programs.rule_units import Fixed, ShareOfBase, Tier, TieredPerUnit, parse_fraction

__all__ = [
    "RULE_KINDS",
    "AmountRule",
    "Facts",
    "Fixed",
    "PerCertificateLevel",
    "PerMonth",
    "ShareOfBase",
    "Tier",
    "TieredPerUnit",
    "add_months",
    "parse_fraction",
    "parse_rule",
]

RULE_KINDS: dict[str, Any] = {
    cls.kind: cls for cls in (Fixed, TieredPerUnit, PerMonth, ShareOfBase, PerCertificateLevel)
}


def parse_rule(data: object, where: str, problems: Problems) -> AmountRule | None:
    table = rd.table(data, where, problems)
    kind = table.get("kind")
    cls = RULE_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        problems.add(f"{where}.kind", f"must be one of {', '.join(RULE_KINDS)}")
        return None
    # canonical data writes absent options as null; a null is the same as leaving the key out
    table = {k: v for k, v in table.items() if v is not None}
    rd.unknown_keys(table, cls.KEYS, where, problems)
    rule: AmountRule | None = cls.parse(table, where, problems)
    return rule
