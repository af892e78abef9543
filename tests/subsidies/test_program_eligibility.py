"""Eligibility with ALL reasons at once, fact validation, caps over the history, dated version
selection and district overrides — the pure part, no database."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import pytest

from renshe.errors import ValidationFailed
from renshe.i18n import current_locale
from renshe.subsidies.programs.catalog import load_catalogue
from renshe.subsidies.programs.model import DefinitionError, Evaluation, Message, PriorAward
from renshe.subsidies.programs.service import evaluate, judge
from tests.subsidies.programs_support import company, graduate, seed_version

ON = date(2025, 6, 1)


def texts_of(messages: Iterable[Message], locale: str) -> list[str]:
    token = current_locale.set(locale)
    try:
        return [m.render() for m in messages]
    finally:
        current_locale.reset(token)


def texts(evaluation: Evaluation, locale: str = "en") -> list[str]:
    return texts_of(evaluation.reasons, locale)


async def test_a_recent_graduate_gets_the_start_up_grant() -> None:
    result = await evaluate(seed_version("startup_once"), {}, graduate(), [], application_date=ON)
    assert result.eligible and result.amount_fen == 1_000_000 and result.reasons == ()


async def test_the_founder_who_graduated_long_ago_is_told_why_in_both_languages() -> None:
    old = graduate(graduated_on=date(2015, 7, 1))
    result = await evaluate(
        seed_version("startup_once"), {"returned_overseas_student": False}, old, [], application_date=ON
    )
    assert not result.eligible and result.amount_fen == 0
    [reason] = result.reasons
    assert reason.msgid == "Meets none of the qualifying conditions:"
    first, second, third = (c.children for c in reason.children)
    assert texts_of(first, "en") == ["Must have graduated within the last 5 years; graduated in 2015."]
    assert texts_of(second, "en") == ["Condition not met: Returned overseas student."]
    assert "Residency must be one of: Hong Kong, Macao, Taiwan; is Mainland." in texts_of(third, "en")
    assert texts_of(first, "zh_CN") == ["须为 5 年内毕业的人员；毕业于 2015 年。"]
    assert texts_of(second, "zh_CN") == ["不符合条件：留学回国人员。"]
    assert "居住地须为以下之一：香港、澳门、台湾；现为内地。" in texts_of(third, "zh_CN")


async def test_a_returned_overseas_student_qualifies_without_a_recent_degree() -> None:
    old = graduate(graduated_on=date(2010, 7, 1))
    result = await evaluate(
        seed_version("startup_once"), {"returned_overseas_student": True}, old, [], application_date=ON
    )
    assert result.eligible


async def test_every_reason_is_listed_at_once() -> None:
    hkmo = seed_version("hkmo_failure")
    applicant = graduate(birth_date=date(1970, 1, 1), residency="mainland")
    facts = {"losses_fen": 100_000, "operated_months": 3, "received_startup_funding": False}
    result = await evaluate(
        hkmo, facts, applicant, [PriorAward("hkmo_failure", 1, date(2024, 12, 1))], application_date=ON
    )
    assert texts(result) == [
        "Residency must be one of: Hong Kong, Macao; is Mainland.",
        "Must hold one of these documents: Mainland travel permit for Hong Kong and Macao residents, "
        "Residence permit for Hong Kong and Macao residents.",
        "Must be at most 45 years old on the application date; is 55.",
        "Condition not met: The business received start-up funding.",
        "Months the business operated must be at least 6; is 3.",
        "Already received this subsidy 1 time(s), the most allowed.",
    ]


async def test_age_limits_by_sex_for_skills_certificates() -> None:
    version = seed_version("skills_cert")
    facts = {
        "scheme": "nanyue_housekeeping",
        "certificate_level": 2,
        "certificate_date": "2025-03-01",
        "occupation": "housekeeper",
    }
    woman_57 = graduate(birth_date=date(1968, 1, 1), sex="female")
    man_57 = graduate(birth_date=date(1968, 1, 1), sex="male")
    man_61 = graduate(birth_date=date(1964, 5, 31), sex="male")
    assert (await evaluate(version, facts, man_57, [], application_date=ON)).amount_fen == 150_000
    refused = await evaluate(version, facts, woman_57, [], application_date=ON)
    assert texts(refused) == ["Must be aged 16 to 55 on the application date; is 57."]
    assert texts(await evaluate(version, facts, man_61, [], application_date=ON)) == [
        "Must be aged 16 to 60 on the application date; is 61."
    ]
    unknown = await evaluate(version, facts, graduate(sex=None), [], application_date=ON)
    assert texts(unknown) == ["The sex is not recorded; the age limit depends on it."]


async def test_facts_are_validated_with_field_errors() -> None:
    version = seed_version("startup_rent")
    with pytest.raises(ValidationFailed) as caught:
        await evaluate(
            version,
            {"months": "twelve", "monthly_rent_fen": 1.5, "colour": "red"},
            company(),
            [],
            application_date=ON,
        )
    assert caught.value.errors == {
        "facts.colour": "This program does not use this information.",
        "facts.months": "Enter a whole number.",
        "facts.monthly_rent_fen": "Enter the amount in fen as a whole number.",
    }
    with pytest.raises(ValidationFailed) as caught:
        await evaluate(version, {"months": 37}, company(), [], application_date=ON)
    assert caught.value.errors == {
        "facts.months": "Enter a number of at most %(max)s.",
        "facts.monthly_rent_fen": "This information is required.",
    }
    assert caught.value.field_params["facts.months"] == {"min": 1, "max": 36}  # type: ignore[attr-defined]
    ok = await evaluate(
        version, {"months": "12", "monthly_rent_fen": "50000"}, company(), [], application_date=ON
    )
    assert ok.amount_fen == 600_000


async def test_hiring_subsidy_registration_windows_first_and_later_claims() -> None:
    version = seed_version("startup_hiring")
    old = company(registered_on=date(2021, 9, 1))  # 3 years 9 months before ON
    first = await evaluate(version, {"hires": 3}, old, [], application_date=ON)
    assert texts(first) == [
        "The enterprise must have been registered within the last 3 years; registered on 2021-09-01."
    ]
    later = await evaluate(
        version,
        {"hires": 3},
        old,
        [PriorAward("startup_hiring", 600_000, date(2024, 5, 1))],
        application_date=ON,
    )
    assert later.eligible and later.amount_fen == 600_000
    outside = await evaluate(
        version, {"hires": 1}, company(registered_district="450100"), [], application_date=ON
    )
    assert texts(outside) == ["The enterprise must be registered in Guangdong Province."]


async def test_caps_over_history_lower_the_award_and_report_what_is_left() -> None:
    version = seed_version("startup_rent")
    facts = {"months": 12, "monthly_rent_fen": 80_000}
    history = [
        PriorAward("startup_rent", 600_000, date(2023, 5, 1)),
        PriorAward("startup_rent", 600_000, date(2024, 5, 1)),
    ]
    first = await evaluate(version, facts, company(), history[:1], application_date=ON)
    assert first.amount_fen == 600_000 and first.capped_by == ("per_year_cap",)
    this_year = [*history, PriorAward("startup_rent", 200_000, date(2025, 2, 1))]
    partial = await evaluate(version, facts, company(), this_year, application_date=ON)
    assert partial.eligible and partial.amount_fen == 400_000
    assert "per_year" in partial.capped_by
    caps = {c.cap: c for c in partial.caps}
    assert (caps["per_year"].remaining, caps["per_year"].remaining_after) == (400_000, 0)
    assert (caps["lifetime"].remaining, caps["lifetime"].remaining_after) == (400_000, 0)
    spent = [*this_year, PriorAward("startup_rent", 400_000, date(2025, 3, 1))]
    refused = await evaluate(version, facts, company(), spent, application_date=ON)
    assert not refused.eligible and refused.amount_fen == 0
    assert texts(refused) == [
        "The yearly maximum of 6,000.00 yuan for this subsidy has been reached.",
        "The lifetime maximum of 18,000.00 yuan for this subsidy has been reached.",
    ]


async def test_below_the_caps_the_computed_amount_is_paid_not_the_maximum() -> None:
    result = await evaluate(
        seed_version("startup_rent"),
        {"months": 5, "monthly_rent_fen": 31_234},
        company(),
        [],
        application_date=ON,
    )
    assert result.amount_fen == 5 * 31_234 and result.capped_by == ()


async def test_once_per_lifetime_asks_the_citywide_gate_for_both_start_up_grants() -> None:
    asked: list[str] = []

    async def received(code: str) -> bool:
        asked.append(code)
        return code == "hkmo_startup"

    result = await evaluate(
        seed_version("startup_once"), {}, graduate(), [], application_date=ON, prior_receipt=received
    )
    assert sorted(asked) == ["hkmo_startup", "startup_once"]
    assert texts(result) == [
        "Has already received this subsidy, which is paid once per lifetime in the whole city."
    ]


async def test_wrong_kind_of_applicant_and_a_disabled_program() -> None:
    wrong = await evaluate(seed_version("startup_once"), {}, company(), [], application_date=ON)
    assert texts(wrong) == ["This program is not open to this kind of applicant."]
    off = seed_version("startup_once", override={"disabled": True})
    result = await evaluate(off, {}, graduate(), [], application_date=ON)
    assert texts(result) == ["This program is not offered in this district."] and result.amount_fen == 0


def test_social_insurance_has_one_rule_per_kind_of_applicant() -> None:
    version = seed_version("social_insurance")
    person = judge(
        version,
        {"contributions_paid_fen": 90_001, "flexible_employment": True},
        graduate(),
        [],
        application_date=ON,
    )
    assert person.amount_fen == 60_000  # 2/3 of 900.01 yuan = 600.006… → 600.00
    employer = judge(
        version,
        {"months": 3, "monthly_contributions_fen": 100_000, "hard_to_employ_hire": True},
        company(),
        [],
        application_date=ON,
    )
    assert employer.amount_fen == 300_000


def test_dated_versions_are_chosen_by_application_date() -> None:
    def per_two_hires(on: date) -> int:
        rule = seed_version("hiring_once", on).terms.rule_for(company().kind)
        assert rule is not None
        return rule.compute({"hires": 2}).amount_fen

    assert per_two_hires(date(2024, 12, 31)) == 200_000
    assert per_two_hires(date(2025, 1, 1)) == 300_000
    with pytest.raises(AssertionError, match="no version"):
        seed_version("hiring_once", date(2023, 12, 31))


def test_district_overrides_merge_onto_the_city_version() -> None:
    city = seed_version("startup_rent")
    tuned = seed_version(
        "startup_rent", override={"amount": {"per_year_cap": "5000"}, "caps": {"per_year": "5000"}}
    )
    facts = {"months": 12, "monthly_rent_fen": 60_000}
    assert judge(city, facts, company(), [], application_date=ON).amount_fen == 600_000
    assert judge(tuned, facts, company(), [], application_date=ON).amount_fen == 500_000
    assert tuned.terms.data["amount"]["total_cap_fen"] == 1_800_000  # the rest is the city's
    assert tuned.digest != city.digest
    younger = seed_version("skills_cert", override={"eligibility": {"age": {"min": 18, "max": 50}}})
    assert younger.terms.data["eligibility"]["age"] == {"min": 18, "max": 50}


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"amount": {"ammount": "1"}}, "programs.startup_once.amount.ammount"),
        ({"amount": {"kind": "per_month"}}, "programs.startup_once.amount.kind"),
        ({"amount": {"amount": 12.5}}, "programs.startup_once.amount.amount"),
        ({"caps": {"per_decade": "1"}}, "programs.startup_once.caps.per_decade"),
        ({"disabled": "yes"}, "programs.startup_once.disabled"),
        ({"budget": "1"}, "programs.startup_once.budget"),
        (
            {"eligibility": {"enterprise_registered_within_years": 3}},
            "programs.startup_once.eligibility.enterprise_registered_within_years",
        ),
        ({"eligibility": {"age": {"max": "45"}}}, "programs.startup_once.eligibility.age.max"),
    ],
)
def test_bad_overrides_name_the_file_and_key(override: dict, key: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        seed_version("startup_once", override=override)
    assert caught.value.source == "test.toml"
    assert key in [k for k, _ in caught.value.problems], caught.value.problems


def test_the_catalogue_holds_the_thirteen_programs_with_names_and_no_amount_in_code() -> None:
    catalogue = load_catalogue()
    employment = [c for c, p in catalogue.programs.items() if p.info.family == "employment"]
    hkmo = [c for c, p in catalogue.programs.items() if p.info.family == "hkmo"]
    assert employment == [
        "startup_once",
        "startup_hiring",
        "startup_rent",
        "social_insurance",
        "hiring_once",
        "skills_cert",
    ]
    assert len(hkmo) == 7 and all(c.startswith("hkmo_") for c in hkmo)
    assert all(
        p.versions[0].effective_from == date(2024, 1, 1)
        for c, p in catalogue.programs.items()
        if c in employment
    )
    assert [v.effective_from for v in catalogue.program("hiring_once").versions] == [
        date(2024, 1, 1),
        date(2025, 1, 1),
    ]


async def test_an_evaluation_is_json_with_texts_in_the_callers_language() -> None:
    facts = {"hires": 12}
    result = await evaluate(seed_version("startup_hiring"), facts, company(), [], application_date=ON)
    token = current_locale.set("zh_CN")
    try:
        body = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    finally:
        current_locale.reset(token)
    assert body["eligible"] is True and body["amount_fen"] == 3_000_000 and body["capped_by"] == ["total_cap"]
    assert [line["text"] for line in body["breakdown"]] == [
        "第 1 至 3 人(次)：3 × 2,000.00 元 = 6,000.00 元",
        "第 4 至 12 人(次)：9 × 3,000.00 元 = 27,000.00 元",
        "按总额上限 30,000.00 元封顶",
    ]
    assert body["breakdown"][0]["params"] == {
        "first": 1,
        "last": 3,
        "count": 3,
        "rate_fen": 200_000,
        "amount_fen": 600_000,
    }
    assert body["caps"] == [
        {
            "cap": "lifetime",
            "unit": "fen",
            "limit": 3_000_000,
            "used": 0,
            "remaining": 3_000_000,
            "remaining_after": 0,
        }
    ]
    refused = await evaluate(
        seed_version("startup_once"), {}, graduate(graduated_on=date(2015, 7, 1)), [], application_date=ON
    )
    token = current_locale.set("zh_CN")
    try:
        reasons = refused.to_json()["reasons"]
    finally:
        current_locale.reset(token)
    assert reasons[0]["text"] == "以下条件均不符合(须至少符合其中一项)："
    assert reasons[0]["children"][0]["children"][0]["text"] == "须为 5 年内毕业的人员；毕业于 2015 年。"
