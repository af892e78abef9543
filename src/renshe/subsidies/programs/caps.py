"""Caps per beneficiary (封顶): per calendar year and per lifetime, as an amount and/or a number
of awards, over the beneficiary's prior awards of this program — or of several programs when a
cap names them (``programs = ["startup_once", "hkmo_startup"]``: one start-up grant in a
lifetime, whichever program paid it).

A cap lowers an award to what is left, never raises it; a cap with nothing left makes the
application not eligible (with the reason), it does not produce a zero award.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from renshe.i18n import lazy
from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Message, PriorAward, Problems, msg

R_YEAR_REACHED = lazy("The yearly maximum of {cap} for this subsidy has been reached.")
R_LIFETIME_REACHED = lazy("The lifetime maximum of {cap} for this subsidy has been reached.")
R_YEAR_AWARDS = lazy("Already received this subsidy {count} time(s) this year, the most allowed.")
R_LIFETIME_AWARDS = lazy("Already received this subsidy {count} time(s), the most allowed.")
L_YEAR_LEFT = lazy("Limited by the yearly maximum of {cap}: {remaining} is left this year")
L_LIFETIME_LEFT = lazy("Limited by the lifetime maximum of {cap}: {remaining} is left")

CAP_KEYS = {*rd.money_keys("per_year", "lifetime"), "per_year_awards", "lifetime_awards", "programs"}


@dataclass(frozen=True, slots=True)
class Caps:
    per_year_fen: int | None = None
    lifetime_fen: int | None = None
    per_year_awards: int | None = None
    lifetime_awards: int | None = None
    programs: tuple[str, ...] = ()  # the programs whose awards count; empty: this program only

    def to_data(self) -> dict[str, Any]:
        return {
            "per_year_fen": self.per_year_fen,
            "lifetime_fen": self.lifetime_fen,
            "per_year_awards": self.per_year_awards,
            "lifetime_awards": self.lifetime_awards,
            "programs": list(self.programs),
        }


@dataclass(frozen=True, slots=True)
class CapStatus:
    """One cap for one application: its limit, what prior awards used, what is left before and
    after this award. ``unit`` is ``fen`` or ``awards``."""

    cap: str  # per_year | lifetime | per_year_awards | lifetime_awards
    unit: str
    limit: int
    used: int
    remaining: int
    remaining_after: int

    def to_json(self) -> dict[str, Any]:
        return {
            "cap": self.cap,
            "unit": self.unit,
            "limit": self.limit,
            "used": self.used,
            "remaining": self.remaining,
            "remaining_after": self.remaining_after,
        }


@dataclass(frozen=True, slots=True)
class CapOutcome:
    amount_fen: int
    capped_by: tuple[str, ...]
    reasons: tuple[Message, ...]  # not eligible: a cap has nothing left
    lines: tuple[Message, ...]
    statuses: tuple[CapStatus, ...]


def parse_caps(raw: object, where: str, problems: Problems) -> Caps:
    table = {
        k: v for k, v in rd.table(raw if raw is not None else {}, where, problems).items() if v is not None
    }
    rd.unknown_keys(table, CAP_KEYS, where, problems)
    return Caps(
        rd.money(table, "per_year", where, problems),
        rd.money(table, "lifetime", where, problems),
        rd.integer(table, "per_year_awards", where, problems, minimum=1),
        rd.integer(table, "lifetime_awards", where, problems, minimum=1),
        rd.strings(table, "programs", where, problems),
    )


def apply_caps(
    caps: Caps, amount_fen: int, history: Sequence[PriorAward], on_date: date, program_code: str
) -> CapOutcome:
    scope = set(caps.programs or (program_code,))
    lifetime = [a for a in history if a.program_code in scope]
    this_year = [a for a in lifetime if a.awarded_on.year == on_date.year]
    amount = amount_fen
    capped_by: list[str] = []
    reasons: list[Message] = []
    lines: list[Message] = []
    pending: list[tuple[str, str, int, int]] = []  # (cap, unit, limit, used)

    money_caps: Mapping[str, tuple[int | None, list[PriorAward], str, str]] = {
        "per_year": (caps.per_year_fen, this_year, R_YEAR_REACHED, L_YEAR_LEFT),
        "lifetime": (caps.lifetime_fen, lifetime, R_LIFETIME_REACHED, L_LIFETIME_LEFT),
    }
    for name, (limit, awards, reached, left) in money_caps.items():
        if limit is None:
            continue
        used = sum(a.amount_fen for a in awards)
        remaining = max(0, limit - used)
        if remaining == 0:
            reasons.append(msg(reached, cap_fen=limit))
        if amount > remaining:
            amount = remaining
            capped_by.append(name)
            if remaining:
                lines.append(msg(left, cap_fen=limit, remaining_fen=remaining))
        pending.append((name, "fen", limit, used))
    count_caps = {
        "per_year_awards": (caps.per_year_awards, this_year, R_YEAR_AWARDS),
        "lifetime_awards": (caps.lifetime_awards, lifetime, R_LIFETIME_AWARDS),
    }
    for name, (count_limit, awards, reached) in count_caps.items():
        if count_limit is None:
            continue
        if len(awards) >= count_limit:
            reasons.append(msg(reached, count=len(awards)))
        pending.append((name, "awards", count_limit, len(awards)))

    granted = amount if not reasons else 0
    statuses = []
    for name, unit, limit, used in pending:
        remaining = max(0, limit - used)
        spent = granted if unit == "fen" else int(granted > 0)
        statuses.append(CapStatus(name, unit, limit, used, remaining, max(0, remaining - spent)))
    return CapOutcome(amount, tuple(capped_by), tuple(reasons), tuple(lines), tuple(statuses))
