"""Talent-card tiers as program versions (issue 10 §1): a ``choices`` fact, the ``includes_any``
and ``not_flags`` rules, the ``card`` table with benefits and quotas, district overrides — the
subsidy machinery, judged without money. Pure: no database."""

from __future__ import annotations

import tomllib
from datetime import date
from typing import Any

import pytest

from renshe.errors import ValidationFailed
from renshe.i18n import current_locale
from renshe.subsidies.programs.facts import validate_facts
from renshe.subsidies.programs.model import BeneficiaryKind, DefinitionError, Message, Problems
from renshe.subsidies.programs.policy import PolicyVersion, apply_override, parse_program, parse_version
from renshe.subsidies.programs.service import judge_conditions
from tests.subsidies.programs_support import graduate

ON = date(2026, 12, 1)
TIER = """
code = "talent_card_t"
family = "talent_card"
name_zh = "测试人才卡"
name_en = "Test tier"
beneficiary = ["person"]

[[versions]]
effective_from = 2023-05-01

  [[versions.facts]]
  name = "qualifications"
  type = "choices"
  choices = ["doctorate", "masters", "bachelor"]
  label_zh = "人才条件"
  label_en = "Qualifications"

  [[versions.facts]]
  name = "social_insurance_months"
  type = "int"
  min = 0
  label_zh = "社保月数"
  label_en = "Months of social insurance"

  [[versions.facts]]
  name = "civil_servant"
  type = "bool"
  required = false
  label_zh = "公务员"
  label_en = "Civil servant"

  [versions.eligibility]
  not_flags = ["civil_servant"]
  fact_limits = [{ fact = "social_insurance_months", min = 6 }]
  includes_any = { fact = "qualifications", values = ["doctorate", "masters"] }

  [versions.card]
  validity_years = 3
  renewal_window_days = 30

    [[versions.card.benefits]]
    code = "medical_green_channel"
    name_zh = "医疗绿色通道"
    name_en = "Medical green channel"
    yearly_quota = 6

    [[versions.card.benefits]]
    code = "children_school"
    name_zh = "子女入学协调"
    name_en = "School places for children"
"""


def tier(text: str = TIER, override: dict[str, Any] | None = None) -> PolicyVersion:
    raw = tomllib.loads(text)
    problems = Problems()
    info = parse_program(raw, "tier", problems)
    assert info is not None
    version = parse_version(raw["versions"][0], info, "tier.versions[0]", problems)
    problems.raise_if_any("test")
    assert version is not None
    terms = apply_override(info, version.terms, override, "440703.toml") if override else version.terms
    return PolicyVersion(info, None, 1, version.effective_from, None, terms, override=override)


def rendered(reasons: tuple[Message, ...], locale: str = "en") -> list[str]:
    token = current_locale.set(locale)
    try:
        return [r.render() for r in reasons]
    finally:
        current_locale.reset(token)


def facts(version: PolicyVersion, **raw: Any) -> dict[str, Any]:
    return validate_facts(version.terms.facts, raw, BeneficiaryKind.PERSON)


def test_a_doctor_with_a_year_of_social_insurance_meets_the_tier() -> None:
    v = tier()
    typed = facts(v, qualifications=["doctorate"], social_insurance_months=12)
    assert judge_conditions(v, typed, graduate(), on_date=ON) == ()


def test_every_reason_at_once_in_both_languages() -> None:
    v = tier()
    typed = facts(v, qualifications="bachelor", social_insurance_months=3, civil_servant=True)
    reasons = judge_conditions(v, typed, graduate(), on_date=ON)
    assert rendered(reasons) == [
        "Excluded: Civil servant.",
        "Months of social insurance must be at least 6; is 3.",
        "Qualifications must include one of: Doctorate, Master's degree.",
    ]
    assert rendered(reasons, "zh_CN")[0] == "公务员不在申领范围内。"


def test_qualifications_are_a_set_from_the_list() -> None:
    v = tier()
    assert facts(v, qualifications="masters, doctorate,masters", social_insurance_months=6)[
        "qualifications"
    ] == [
        "doctorate",
        "masters",
    ]
    with pytest.raises(ValidationFailed) as caught:
        facts(v, qualifications=["doctorate", "astronaut"], social_insurance_months=6)
    assert set(caught.value.errors) == {"facts.qualifications"}
    with pytest.raises(ValidationFailed) as caught:
        facts(v, qualifications=[], social_insurance_months=6)
    assert set(caught.value.errors) == {"facts.qualifications"}


def test_the_card_table_and_a_districts_quota() -> None:
    card = tier().terms.card
    assert card is not None and card.validity_years == 3 and card.renewal_window_days == 30
    assert [(b.code, b.yearly_quota) for b in card.benefits] == [
        ("medical_green_channel", 6),
        ("children_school", None),
    ]
    tuned = tier(override={"card": {"validity_years": 2, "quotas": {"medical_green_channel": 4}}}).terms.card
    assert tuned is not None and tuned.validity_years == 2
    assert tuned.benefit("medical_green_channel").yearly_quota == 4  # type: ignore[union-attr]
    assert (
        tier().terms.digest != tier(override={"card": {"quotas": {"medical_green_channel": 4}}}).terms.digest
    )


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"card": {"quotas": {"spa_visits": 3}}}, "programs.talent_card_t.card.quotas.spa_visits"),
        ({"card": {"benefits": []}}, "programs.talent_card_t.card.benefits"),
        ({"card": {"validity_years": 40}}, "programs.talent_card_t.card.validity_years"),
    ],
)
def test_a_district_override_the_tier_cannot_hold_is_refused_by_key(
    override: dict[str, Any], key: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        tier(override=override)
    assert key in {k for k, _ in caught.value.problems}


def test_a_tier_grants_a_card_not_money_and_a_subsidy_has_no_card() -> None:
    with_amount = TIER.replace(
        "[versions.card]", '[versions.amount]\n  kind = "fixed"\n  amount = "1"\n\n  [versions.card]'
    )
    with pytest.raises(DefinitionError, match="grants a card, not money"):
        tier(with_amount)
    subsidy = TIER.replace('family = "talent_card"', 'family = "employment"')
    with pytest.raises(DefinitionError, match="only a talent-card tier has a card table"):
        tier(subsidy)


def test_includes_any_must_name_a_choices_fact_and_its_values() -> None:
    bad = TIER.replace('values = ["doctorate", "masters"]', 'values = ["doctorate", "astronaut"]')
    with pytest.raises(DefinitionError, match="astronaut"):
        tier(bad)
    wrong_fact = TIER.replace(
        'includes_any = { fact = "qualifications"', 'includes_any = { fact = "civil_servant"'
    )
    with pytest.raises(DefinitionError, match="choices fact"):
        tier(wrong_fact)


def qualifies(code: str, **raw: Any) -> bool:
    from tests.subsidies.programs_support import seed_version

    version = seed_version(code, ON)
    return judge_conditions(version, facts(version, **raw), graduate(), on_date=ON) == ()


def test_the_seed_tiers_a_higher_qualification_also_meets_a_lower_tier() -> None:
    doctor = {"qualifications": ["doctorate"], "social_insurance_months": 12}
    assert [qualifies(f"talent_card_{t}", **doctor) for t in "abc"] == [False, True, True]
    professor = {"qualifications": ["full_senior_title"], "social_insurance_months": 6}
    assert [qualifies(f"talent_card_{t}", **professor) for t in "abc"] == [True, True, True]
    assert not qualifies("talent_card_a", **professor, civil_servant=True)
    assert not qualifies("talent_card_b", qualifications=["doctorate"], social_insurance_months=5)


def test_a_bachelor_needs_the_salary_threshold_for_tier_c() -> None:
    bachelor = {"qualifications": ["bachelor"], "social_insurance_months": 24}
    assert not qualifies("talent_card_c", **bachelor)
    assert not qualifies("talent_card_c", **bachelor, annual_salary_fen=14_999_999)
    assert qualifies("talent_card_c", **bachelor, annual_salary_fen=15_000_000)


def test_the_seed_tiers_validity_and_benefits() -> None:
    from tests.subsidies.programs_support import seed_version

    cards = {t: seed_version(f"talent_card_{t}", ON).terms.card for t in "abc"}
    assert {t: c.validity_years for t, c in cards.items() if c} == {"a": 5, "b": 3, "c": 2}
    assert all(c and c.renewal_window_days == 30 for c in cards.values())
