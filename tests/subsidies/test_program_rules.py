"""Amount rules with the worked examples of shared/reference/programs.md (integer fen)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from renshe.subsidies.programs.model import BeneficiaryKind, DefinitionError, Problems
from renshe.subsidies.programs.rules import (
    AmountRule,
    PerCertificateLevel,
    PerMonth,
    ShareOfBase,
    TieredPerUnit,
    parse_rule,
)
from tests.subsidies.programs_support import seed_version

YUAN = 100


def rule(code: str, kind: BeneficiaryKind, on: date = date(2024, 6, 1)) -> AmountRule:
    found = seed_version(code, on).terms.rule_for(kind)
    assert found is not None
    return found


def test_startup_once_is_a_fixed_ten_thousand_yuan() -> None:
    result = rule("startup_once", BeneficiaryKind.PERSON).compute({})
    assert result.amount_fen == 10_000 * YUAN and result.capped_by is None


@pytest.mark.parametrize(
    ("hires", "yuan", "capped_by"),
    [
        (1, 2_000, None),
        (3, 6_000, None),
        (4, 9_000, None),
        (5, 12_000, None),
        (9, 24_000, None),
        (10, 27_000, None),
        (11, 30_000, None),
        (12, 30_000, "total_cap"),
        (100, 30_000, "total_cap"),
    ],
)
def test_startup_hiring_two_thousand_for_the_first_three_then_three_thousand_capped_at_thirty(
    hires: int, yuan: int, capped_by: str | None
) -> None:
    result = rule("startup_hiring", BeneficiaryKind.ENTERPRISE).compute({"hires": hires})
    assert result.amount_fen == yuan * YUAN
    assert result.capped_by == capped_by


def test_startup_hiring_breakdown_explains_each_tier_and_the_cap() -> None:
    result = rule("startup_hiring", BeneficiaryKind.ENTERPRISE).compute({"hires": 12})
    lines = [(line.msgid, dict(line.params)) for line in result.lines]
    assert lines[0][1] == {"first": 1, "last": 3, "count": 3, "rate_fen": 200_000, "amount_fen": 600_000}
    assert lines[1][1] == {"first": 4, "last": 12, "count": 9, "rate_fen": 300_000, "amount_fen": 2_700_000}
    assert lines[2] == ("Limited to the maximum of {cap} in total", {"cap_fen": 3_000_000})


@pytest.mark.parametrize(
    ("monthly_yuan", "months", "yuan"),
    [
        (500, 12, 6_000),
        (400, 12, 4_800),
        (600, 12, 6_000),
        (800, 6, 4_800),
        (1_000, 24, 12_000),
        (300, 30, 9_000),
        (2_000, 36, 18_000),
        (2_000, 48, 18_000),
    ],
)
def test_rent_is_actual_rent_at_most_six_thousand_a_year_for_three_years(
    monthly_yuan: int, months: int, yuan: int
) -> None:
    result = rule("startup_rent", BeneficiaryKind.ENTERPRISE).compute(
        {"months": months, "monthly_rent_fen": monthly_yuan * YUAN}
    )
    assert result.amount_fen == yuan * YUAN


def test_rent_of_500_a_month_for_a_year_is_exactly_the_yearly_cap_and_not_reported_as_capped() -> None:
    result = rule("startup_rent", BeneficiaryKind.ENTERPRISE).compute(
        {"months": 12, "monthly_rent_fen": 50_000}
    )
    assert result.amount_fen == 600_000 and result.capped_by is None
    over = rule("startup_rent", BeneficiaryKind.ENTERPRISE).compute(
        {"months": 12, "monthly_rent_fen": 50_001}
    )
    assert over.amount_fen == 600_000 and over.capped_by == "per_year_cap"


def test_social_insurance_employer_contributions_up_to_36_months() -> None:
    employer = rule("social_insurance", BeneficiaryKind.ENTERPRISE)
    assert employer.compute({"months": 12, "monthly_contributions_fen": 123_456}).amount_fen == 12 * 123_456
    capped = employer.compute({"months": 40, "monthly_contributions_fen": 100_000})
    assert capped.amount_fen == 36 * 100_000 and capped.capped_by == "max_months"


@pytest.mark.parametrize(
    ("paid_fen", "expected_fen"),
    [(300_000, 200_000), (100, 66), (1, 0), (2, 1), (3, 2), (1_234_567, 823_044), (999_999, 666_666)],
)
def test_flexible_employment_two_thirds_of_contributions_rounded_down(
    paid_fen: int, expected_fen: int
) -> None:
    result = rule("social_insurance", BeneficiaryKind.PERSON).compute({"contributions_paid_fen": paid_fen})
    assert result.amount_fen == expected_fen
    assert result.amount_fen * 3 <= paid_fen * 2 < (result.amount_fen + 1) * 3


@pytest.mark.parametrize(("level", "yuan"), [(1, 1_000), (2, 1_500), (3, 2_000), (4, 2_500), (5, 3_000)])
def test_skills_cert_amount_by_level(level: int, yuan: int) -> None:
    result = rule("skills_cert", BeneficiaryKind.PERSON).compute(
        {"certificate_level": level, "occupation": "hairdresser", "certificate_date": date(2024, 5, 1)}
    )
    assert result.amount_fen == yuan * YUAN


@pytest.mark.parametrize(("level", "yuan"), [(1, 1_000), (2, 1_500), (3, 2_600), (4, 3_250), (5, 3_900)])
def test_skills_cert_shortage_uplift_of_30_percent_from_level_3(level: int, yuan: int) -> None:
    result = rule("skills_cert", BeneficiaryKind.PERSON).compute(
        {"certificate_level": level, "occupation": "elderly_carer", "certificate_date": date(2024, 5, 1)}
    )
    assert result.amount_fen == yuan * YUAN


def test_skills_cert_claim_window_of_12_months() -> None:
    skills = rule("skills_cert", BeneficiaryKind.PERSON)
    facts = {"certificate_level": 3, "occupation": "x", "certificate_date": date(2023, 8, 31)}
    assert skills.check(facts, date(2024, 8, 31)) == []
    late = skills.check(facts, date(2024, 9, 1))
    assert [r.msgid for r in late] == [
        "The claim must be made within {months} months of the certificate date; the certificate is of {date}."
    ]
    assert "2023-08-31" in late[0].render()
    assert skills.check({**facts, "certificate_date": date(2024, 9, 2)}, date(2024, 9, 1))


def test_uplift_is_rounded_down_to_the_fen() -> None:
    odd = PerCertificateLevel("level", {3: 333}, "occupation", None, 30, 3, ("welder",))
    assert odd.compute({"level": 3, "occupation": "welder"}).amount_fen == 333 + 99  # 99.9 → 99


def test_hkmo_rules_express_the_youth_table() -> None:
    interview = rule("hkmo_interview", BeneficiaryKind.PERSON, date(2025, 1, 1))
    assert interview.compute({"trips": 3}).amount_fen == 1_500 * YUAN
    assert interview.compute({"trips": 6}).amount_fen == 2_000 * YUAN  # at most 4 trips
    living = rule("hkmo_living", BeneficiaryKind.PERSON, date(2025, 1, 1))
    assert living.compute({"months": 20}).amount_fen == 18_000 * YUAN
    failure = rule("hkmo_failure", BeneficiaryKind.PERSON, date(2025, 1, 1))
    assert failure.compute({"losses_fen": 6_000_000}).amount_fen == 3_000_000
    assert failure.compute({"losses_fen": 20_000_000}).amount_fen == 5_000_000
    interest = rule("hkmo_loan_interest", BeneficiaryKind.ENTERPRISE, date(2025, 1, 1))
    assert interest.compute({"interest_paid_fen": 12_345}).amount_fen == 6_172


def test_money_is_read_as_yuan_or_fen_and_bad_definitions_are_refused_with_their_keys() -> None:
    problems = Problems()
    yuan = parse_rule({"kind": "fixed", "amount": "1234.56"}, "amount", problems)
    fen = parse_rule({"kind": "fixed", "amount_fen": 123_456}, "amount", problems)
    assert yuan == fen and problems.items == []
    parse_rule({"kind": "fixed", "amount": 12.5}, "a", problems)  # a float is not money
    tiers = [{"up_to": 3, "amount": "1"}, {"up_to": 2, "amount": "1"}, {"amount": "1"}]
    parse_rule({"kind": "tiered_per_unit", "unit_fact": "n", "tiers": tiers}, "b", problems)
    parse_rule(
        {"kind": "tiered_per_unit", "unit_fact": "n", "tiers": [{"up_to": 3, "amount": "1"}]}, "g", problems
    )
    parse_rule({"kind": "share_of_base", "base_fact": "x", "share": "3/2"}, "c", problems)
    parse_rule({"kind": "per_month", "months_fact": "m"}, "d", problems)
    parse_rule({"kind": "bonus"}, "e", problems)
    parse_rule(
        {"kind": "per_certificate_level", "level_fact": "l", "levels": {"1": "200", "2": "100"}},
        "f",
        problems,
    )
    keys = [key for key, _ in problems.items]
    assert keys == ["a.amount", "b.tiers[1].up_to", "g.tiers[0].up_to", "c.share", "d", "e.kind", "f.levels"]
    with pytest.raises(DefinitionError) as caught:
        problems.raise_if_any("x.toml")
    assert "x.toml: a.amount:" in str(caught.value)


def test_rules_are_built_from_fractions_not_floats() -> None:
    share = ShareOfBase("base_fen", Fraction(2, 3), 100)
    assert share.compute({"base_fen": 10**12}).amount_fen == 100
    assert TieredPerUnit("n", ()).compute({"n": 5}).amount_fen == 0
    assert PerMonth("m", 1_000).compute({"m": 0}).amount_fen == 0
