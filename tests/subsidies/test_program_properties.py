"""Property tests over the amount rules and the caps: an amount is never negative, never above
any maximum, never decreases when units, months or the base grow, and a maximum is never a
floor (below the maximum, the computed amount is paid exactly)."""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.subsidies.programs.caps import Caps, apply_caps
from renshe.subsidies.programs.model import PriorAward, Problems
from renshe.subsidies.programs.rules import (
    PerCertificateLevel,
    PerMonth,
    ShareOfBase,
    Tier,
    TieredPerUnit,
    parse_rule,
)

FEN = st.integers(min_value=0, max_value=5_000_000)
CAP = st.none() | st.integers(min_value=0, max_value=10_000_000)
COUNT = st.integers(min_value=0, max_value=400)
THOROUGH = settings(max_examples=300, deadline=None)  # per test: the global profile is not ours to change


@st.composite
def tiered(draw: st.DrawFn) -> TieredPerUnit:
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=60), max_size=3)))
    amounts = draw(st.lists(FEN, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    tiers = tuple(Tier(b, a) for b, a in zip([*bounds, None], amounts, strict=True))
    max_units = draw(st.none() | st.integers(min_value=1, max_value=100))
    return TieredPerUnit("units", tiers, max_units, draw(CAP))


@st.composite
def per_month(draw: st.DrawFn) -> PerMonth:
    if draw(st.booleans()):
        return PerMonth(
            "months", draw(FEN), None, None, draw(CAP), draw(st.none() | st.integers(1, 60)), draw(CAP)
        )
    return PerMonth(
        "months", None, "cost_fen", draw(CAP), draw(CAP), draw(st.none() | st.integers(1, 60)), draw(CAP)
    )


SHARES = st.builds(Fraction, st.integers(1, 100), st.integers(1, 100)).filter(lambda f: 0 < f <= 1)


def round_trips(rule: object) -> None:
    problems = Problems()
    again = parse_rule(rule.to_data(), "amount", problems)  # type: ignore[attr-defined]
    assert problems.items == [] and again == rule


@THOROUGH
@given(tiered(), COUNT, COUNT)
def test_tiered_per_unit(rule: TieredPerUnit, units: int, more: int) -> None:
    result = rule.compute({"units": units}).amount_fen
    assert result >= 0
    if rule.total_cap_fen is not None:
        assert result <= rule.total_cap_fen
    assert rule.compute({"units": units + more}).amount_fen >= result
    uncapped = dataclasses.replace(rule, total_cap_fen=None).compute({"units": units}).amount_fen
    assert result == (uncapped if rule.total_cap_fen is None else min(uncapped, rule.total_cap_fen))
    counted = units if rule.max_units is None else min(units, rule.max_units)
    assert uncapped <= counted * max(t.amount_fen for t in rule.tiers)
    round_trips(rule)


@THOROUGH
@given(per_month(), st.integers(0, 80), st.integers(0, 40), FEN, FEN)
def test_per_month(rule: PerMonth, months: int, more: int, cost: int, extra: int) -> None:
    facts = {"months": months, "cost_fen": cost}
    result = rule.compute(facts).amount_fen
    assert result >= 0
    if rule.total_cap_fen is not None:
        assert result <= rule.total_cap_fen
    counted = months if rule.max_months is None else min(months, rule.max_months)
    if rule.per_year_cap_fen is not None:
        assert result <= rule.per_year_cap_fen * max(1, -(-counted // 12))
    monthly = rule.monthly_amount_fen if rule.monthly_amount_fen is not None else cost
    if rule.monthly_max_fen is not None and rule.monthly_amount_fen is None:
        monthly = min(monthly, rule.monthly_max_fen)
    assert result <= counted * monthly
    # more months, or a higher actual cost, never pays less
    assert rule.compute({**facts, "months": months + more}).amount_fen >= result
    assert rule.compute({**facts, "cost_fen": cost + extra}).amount_fen >= result
    # no maximum is a floor: lifting every maximum only pays more, and below them all it is exact
    free = dataclasses.replace(rule, monthly_max_fen=None, per_year_cap_fen=None, total_cap_fen=None)
    uncapped = free.compute(facts).amount_fen
    assert uncapped >= result
    maxima = [m for m in (rule.total_cap_fen,) if m is not None]
    if rule.per_year_cap_fen is None and (
        rule.monthly_max_fen is None or rule.monthly_amount_fen is not None
    ):
        assert result == min([uncapped, *maxima])
    below_every_maximum = (
        (rule.total_cap_fen is None or uncapped <= rule.total_cap_fen)
        and (rule.per_year_cap_fen is None or min(counted, 12) * monthly <= rule.per_year_cap_fen)
        and (
            rule.monthly_max_fen is None
            or rule.monthly_amount_fen is not None
            or cost <= rule.monthly_max_fen
        )
    )
    if below_every_maximum:
        assert result == uncapped
    round_trips(rule)


@THOROUGH
@given(SHARES, FEN, FEN, CAP)
def test_share_of_base(share: Fraction, base: int, more: int, cap: int | None) -> None:
    rule = ShareOfBase("base_fen", share, cap)
    result = rule.compute({"base_fen": base}).amount_fen
    exact = Fraction(base) * share
    floor = int(exact.__floor__())
    assert 0 <= result <= exact  # rounded down: never a fen more than the share
    assert result == (floor if cap is None else min(floor, cap))
    assert rule.compute({"base_fen": base + more}).amount_fen >= result
    round_trips(rule)


@THOROUGH
@given(
    st.lists(FEN, min_size=1, max_size=5).map(sorted),
    st.integers(0, 100),
    st.integers(1, 5),
    st.booleans(),
)
def test_per_certificate_level(amounts: list[int], percent: int, min_level: int, shortage: bool) -> None:
    levels = {i: a for i, a in enumerate(amounts, start=1)}
    rule = PerCertificateLevel("level", levels, "occupation", None, percent, min_level, ("welder",))
    occupation = "welder" if shortage else "baker"
    previous = 0
    for level, amount in levels.items():
        result = rule.compute({"level": level, "occupation": occupation}).amount_fen
        assert amount <= result <= amount + Fraction(amount * percent, 100)
        if not shortage or level < min_level:
            assert result == amount
        assert result >= previous  # a higher certificate never pays less
        previous = result
    round_trips(rule)


AWARDS = st.lists(
    st.builds(
        PriorAward,
        st.sampled_from(["p", "q"]),
        FEN,
        st.dates(min_value=date(2022, 1, 1), max_value=date(2025, 12, 31)),
    ),
    max_size=6,
)


@THOROUGH
@given(FEN, AWARDS, CAP, CAP, st.none() | st.integers(1, 4), st.booleans())
def test_caps_never_exceed_what_is_left_and_are_never_a_floor(
    amount: int,
    history: list[PriorAward],
    per_year: int | None,
    lifetime: int | None,
    yearly_awards: int | None,
    shared: bool,
) -> None:
    caps = Caps(per_year, lifetime, yearly_awards, None, ("p", "q") if shared else ())
    on = date(2025, 6, 1)
    outcome = apply_caps(caps, amount, history, on, "p")
    counted = [a for a in history if a.program_code in (("p", "q") if shared else ("p",))]
    left_year = (
        None
        if per_year is None
        else max(0, per_year - sum(a.amount_fen for a in counted if a.awarded_on.year == 2025))
    )
    left_life = None if lifetime is None else max(0, lifetime - sum(a.amount_fen for a in counted))
    limits = [x for x in (left_year, left_life) if x is not None]
    assert 0 <= outcome.amount_fen <= amount
    assert outcome.amount_fen == min([amount, *limits])  # lowered to what is left, never raised
    if 0 in limits:
        assert outcome.reasons  # nothing left: not eligible, rather than a zero award
    for status in outcome.statuses:
        assert 0 <= status.remaining_after <= status.remaining <= status.limit
