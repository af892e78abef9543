"""Choice facts show words, not codes: every choice of every program version has a Chinese and an
English name in the catalogue's ``[choices]`` table (the catalogue refuses a version without
them), and the new-application form, the application page and the review page show those words
in the user's language while the stored facts keep the code."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date, timedelta
from importlib import resources
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.registry import people
from renshe.registry.model import BankInput, DocumentInput, PersonInput
from renshe.subsidies.applications import service, store
from renshe.subsidies.applications.store import today
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.catalog import parse_catalogue
from renshe.subsidies.programs.model import DefinitionError
from renshe.subsidies.programs.vocabulary import choice_names
from tests.registry.support import TESTER, luhn_card, prc_id, unit_id
from tests.subsidies.applications_support import caller
from tests.subsidies.pages_support import APP_LINK, PENGJIANG, browser, post_from, row

pytestmark = pytest.mark.asyncio(loop_scope="session")
NEW = "/subsidies/applications/new"
SKILLS = "skills_cert"


def _seed() -> dict[str, Any]:
    text = resources.files("renshe.subsidies.programs").joinpath("seed_programs.toml").read_text("utf-8")
    return tomllib.loads(text)


async def test_the_catalogue_refuses_a_choice_without_words_in_both_languages() -> None:
    data = _seed()
    del data["choices"]["nanyue_housekeeping"]
    with pytest.raises(DefinitionError, match=r"'nanyue_housekeeping' is not in the \[choices\] table"):
        parse_catalogue(data)
    half = _seed()
    del half["choices"]["yuecai_chef"]["name_en"]
    with pytest.raises(DefinitionError, match=r"choices\.yuecai_chef\.name_en: is required"):
        parse_catalogue(half)
    # a new value in a new version needs its words too
    added = _seed()
    program = next(p for p in added["programs"] if p["code"] == SKILLS)
    later = copy.deepcopy(program["versions"][0])
    later["effective_from"] = date(2030, 1, 1)
    later["facts"][0]["choices"].append("new_scheme")
    program["versions"].append(later)
    with pytest.raises(DefinitionError, match=r"versions\[1\]\.facts\.scheme\.choices: 'new_scheme'"):
        parse_catalogue(added)


async def test_every_choice_of_every_stored_version_has_chinese_and_english_words(db: None) -> None:
    async with tenant_transaction(TenantContext.none()):
        stored = await programs.list_programs(include_inactive=True)
    checked, missing = 0, []
    for program in stored:
        for version in program.versions:
            for fact in version.definition.terms.facts:
                for value in fact.choices:
                    checked += 1
                    names = choice_names(value)
                    if names is None or not all(names):
                        missing.append(f"{program.info.code} v{version.version} {fact.name}: {value}")
    assert checked >= 3, "no choice fact stored: the check would pass on nothing"
    assert not missing, "choices shown as bare codes:\n" + "\n".join(missing)


# ---------------------------------------------------------------- pages


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    return create_app()


async def _worker() -> UUID:
    """A man of working age (the skills subsidy has an age limit) registered in Pengjiang."""
    tenant = await unit_id(PENGJIANG)
    data = PersonInput(
        name="梁志强",
        documents=[DocumentInput("prc_id", prc_id(PENGJIANG, born=date(1990, 5, 1), male=True))],
        residency="mainland",
        bank=BankInput(luhn_card(), "梁志强", "中国工商银行江门分行"),
        confirm_warnings=True,
    )
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await people.register_person(tenant, TESTER, data)).id


def _scheme_options(html: str) -> list[tuple[str, str]]:
    select = re.search(r'<select [^>]*name="facts\.scheme".*?</select>', html, re.S)
    assert select, "no scheme select on the page"
    return re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)</option>', select.group(0))


def _facts_entered(html: str) -> str:
    block = re.search(r'id="facts-entered".*?</dl>', html, re.S)
    assert block, "no facts on the page"
    return block.group(0)


async def _in_english(client: httpx.AsyncClient, path: str) -> str:
    await client.get("/lang/en?next=/")
    try:
        return (await client.get(path)).text
    finally:
        await client.get("/lang/zh_CN?next=/")


async def test_choices_are_words_on_the_form_the_application_and_the_review_page(app: Any) -> None:
    person_id = await _worker()
    async with browser(app, PENGJIANG, Role.CLERK) as (clerk, _user):
        form = await clerk.get(f"{NEW}?person_id={person_id}&program={SKILLS}")
        assert form.status_code == 200
        assert _scheme_options(form.text) == [
            ("yuecai_chef", "粤菜师傅"),
            ("guangdong_technician", "广东技工"),
            ("nanyue_housekeeping", "南粤家政"),
        ]
        english = await _in_english(clerk, f"{NEW}/facts?person_id={person_id}&program={SKILLS}")
        assert ("guangdong_technician", "Guangdong technicians") in _scheme_options(english)

        data = {
            "person_id": str(person_id), "program": SKILLS, "facts.scheme": "guangdong_technician",
            "facts.certificate_level": "3", "facts.occupation": "cnc_machinist",
            "facts.certificate_date": (today() - timedelta(days=30)).isoformat(),
        }  # fmt: skip
        answer = await post_from(clerk, NEW, NEW, data)
        assert answer.status_code == 303, answer.text
        match = APP_LINK.search(answer.headers["location"])
        assert match
        page = await clerk.get(answer.headers["location"])
        facts = _facts_entered(page.text)
        assert "广东技工" in facts and "guangdong_technician" not in facts
        facts_en = _facts_entered(await _in_english(clerk, answer.headers["location"]))
        assert "Guangdong technicians" in facts_en and "guangdong_technician" not in facts_en
        stored = await row(UUID(match.group(1)))
        # the machine value stays the code
        assert store.as_json(stored["facts"])["scheme"] == "guangdong_technician"

    clerk_caller = await caller(PENGJIANG, Role.CLERK)
    made = await service.create(
        clerk_caller,
        service.Draft(SKILLS, person_id=await _worker(), facts={
            "scheme": "nanyue_housekeeping", "certificate_level": 2, "occupation": "elderly_carer",
            "certificate_date": (today() - timedelta(days=10)).isoformat(),
        }),
    )  # fmt: skip
    await service.submit(clerk_caller, made["id"], made["version"])
    async with browser(app, PENGJIANG, Role.REVIEWER) as (reviewer, _user):
        review = await reviewer.get(f"/subsidies/review/{made['id']}")
        assert review.status_code == 200
        facts = _facts_entered(review.text)
        assert "南粤家政" in facts and "nanyue_housekeeping" not in facts


async def test_the_programs_api_keeps_the_codes_and_adds_their_words(app: Any) -> None:
    from tests.registry.support import api_headers, client

    async with client(app) as http:
        headers = await api_headers(PENGJIANG, Role.CLERK, language="en")
        answer = await http.get(f"/api/v1/programs/{SKILLS}", headers=headers)
    assert answer.status_code == 200, answer.text
    scheme = next(f for f in answer.json()["in_force"]["facts"] if f["name"] == "scheme")
    assert scheme["choices"] == ["yuecai_chef", "guangdong_technician", "nanyue_housekeeping"]
    technician = {"code": "guangdong_technician", "name_zh": "广东技工", "name_en": "Guangdong technicians"}
    assert technician in scheme["choice_names"]
