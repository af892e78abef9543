"""The clerk's application pages in a browser (forms, CSRF, redirects) over real HTTP: entering an
application end to end (eligible → draft with its amount; ineligible → the reasons in Chinese and
nothing saved; field errors), submit and the stale version, objections during notice, the payee
fix after a failed payment, the list's filters and its masked CSV/XLSX export, another district's
application answering 404 everywhere, and roles without access answering 403."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio
from openpyxl import load_workbook

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import people
from renshe.registry.model import DocumentInput, PersonInput
from renshe.subsidies.applications import store
from tests.accounts.support import field_error, new_client, unit_id
from tests.registry.support import TESTER, credit_code, home_return_permit
from tests.subsidies.applications_support import JIANGHAI, STARTUP_FEN, budget_room
from tests.subsidies.pages_support import (
    APP_LINK,
    PENGJIANG,
    browser,
    count_for,
    draft,
    enterprise,
    force_state,
    in_notice,
    person,
    post_from,
    row,
    version_on,
)
from tests.supervision import support as supervision

pytestmark = pytest.mark.asyncio(loop_scope="session")
NEW = "/subsidies/applications/new"


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None, admin_url: str) -> Any:
    from renshe.subsidies.applications.store import today
    from renshe.web.app import create_app

    await budget_room(admin_url, PENGJIANG, "startup_once", today().year, 100 * STARTUP_FEN)
    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app, PENGJIANG, Role.CLERK) as (client, _user):
        yield client


async def test_eligible_application_entered_through_the_forms_is_a_draft_with_its_amount(
    clerk: httpx.AsyncClient,
) -> None:
    person_id = await person()
    form = await clerk.get(f"{NEW}?person_id={person_id}&program=startup_once")
    assert form.status_code == 200
    assert "一次性创业资助" in form.text and 'name="facts.returned_overseas_student"' in form.text
    fragment = await clerk.get(f"{NEW}/facts?person_id={person_id}&program=startup_once")
    assert 'id="facts"' in fragment.text and "<html" not in fragment.text  # the HTMX swap
    data = {"person_id": str(person_id), "program": "startup_once", "facts.returned_overseas_student": "true"}
    answer = await post_from(clerk, NEW, NEW, data)
    assert answer.status_code == 303, answer.text
    match = APP_LINK.search(answer.headers["location"])
    assert match
    page = await clerk.get(answer.headers["location"])
    assert page.status_code == 200
    assert "已保存为草稿" in page.text
    assert re.search(
        r'<span id="state"><span class="badge [^"]*" data-state="draft">草稿</span></span>', page.text
    )
    assert '<span id="amount" class="fw-bold ui-num">¥10,000.00</span>' in page.text
    assert "留学回国人员" in page.text  # the facts it was entered with, labelled in Chinese
    assert "提交审核" in page.text  # what the clerk may do now
    assert (await row(match.group(1)))["state"] == "draft"


async def _hong_kong_resident(born: date | None) -> Any:
    tenant = await unit_id(PENGJIANG)
    data = PersonInput(
        name="陈家明", documents=[DocumentInput("home_return_permit", home_return_permit())],
        residency="hong_kong", birth_date=born, sex="male", confirm_warnings=True,
    )  # fmt: skip
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await people.register_person(tenant, TESTER, data)).id


def offered(html: str) -> set[str]:
    select = re.search(r'<select [^>]*id="f-program".*?</select>', html, re.S)
    assert select, "no program choice on the page"
    return set(re.findall(r'<option value="([a-z_]+)"', select.group(0)))


async def test_only_programs_the_beneficiary_can_possibly_get_are_offered(clerk: httpx.AsyncClient) -> None:
    mainland = offered((await clerk.get(f"{NEW}?person_id={await person()}")).text)
    # startup_once, whose conditions depend on facts of the application (returned student,
    # graduation), is offered; HK/MO grants never are: they are planned from the youth's page
    assert "startup_once" in mainland and not {c for c in mainland if c.startswith("hkmo_")}
    young = offered((await clerk.get(f"{NEW}?person_id={await _hong_kong_resident(date(1998, 5, 1))}")).text)
    assert {"startup_once", "social_insurance"} <= young and not {c for c in young if c.startswith("hkmo_")}
    # a rule's age limit (16 to 60 for a man's flexible-employment social insurance) applies on
    # the application date, to what the registry knows
    old = offered((await clerk.get(f"{NEW}?person_id={await _hong_kong_resident(date(1950, 5, 1))}")).text)
    assert "social_insurance" not in old and "startup_once" in old
    # a birth date the registry lacks is not known yet: the program stays offered
    unknown = offered((await clerk.get(f"{NEW}?person_id={await _hong_kong_resident(None)}")).text)
    assert "social_insurance" in unknown
    # a program not offered cannot be posted either
    data = {"person_id": str(await person()), "program": "hkmo_interview", "facts.trips": "2"}
    refused = await post_from(clerk, NEW, NEW, data)
    assert refused.status_code == 422 and field_error(refused.text, "f-program")


async def test_ineligible_application_shows_the_reasons_in_chinese_and_saves_nothing(
    clerk: httpx.AsyncClient,
) -> None:
    person_id = await person()  # mainland, no graduation date, not a returned student
    data = {"person_id": str(person_id), "program": "startup_once"}
    answer = await post_from(clerk, NEW, NEW, data)
    assert answer.status_code == 422
    assert 'id="not-eligible"' in answer.text and "未保存" in answer.text
    reasons = re.search(r'id="not-eligible">(.*?)</div>', answer.text, re.S)
    assert reasons and re.search(r"[\u4e00-\u9fff]{4}", reasons.group(1))
    assert await count_for(person_id) == 0


async def test_bad_facts_are_shown_at_their_fields_and_nothing_is_saved(clerk: httpx.AsyncClient) -> None:
    person_id = await person()
    data = {"person_id": str(person_id), "program": "startup_once", "facts.returned_overseas_student": "也许"}
    answer = await post_from(clerk, NEW, NEW, data)
    assert answer.status_code == 422
    assert field_error(answer.text, "f-facts-returned_overseas_student") == "请选择“是”或“否”。"
    missing = await post_from(clerk, NEW, NEW, {"person_id": str(person_id)})
    assert missing.status_code == 422 and field_error(missing.text, "f-program")
    assert await count_for(person_id) == 0


async def test_enterprise_found_by_credit_code_and_money_entered_in_yuan(clerk: httpx.AsyncClient) -> None:
    enterprise_id = await enterprise()
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        uscc = await current_transaction().connection.fetchval(
            "SELECT uscc FROM enterprises WHERE id = $1", enterprise_id
        )
    found = await post_from(clerk, NEW, f"{NEW}/find", {"kind": "enterprise", "uscc": uscc})
    assert found.status_code == 303 and found.headers["location"].endswith(f"enterprise_id={enterprise_id}")
    form = await clerk.get(f"{found.headers['location']}&program=startup_rent")
    assert "实际月租金(元)" in form.text  # entered in yuan, whatever the definition's unit
    bad = {"enterprise_id": str(enterprise_id), "program": "startup_rent", "facts.months": "6",
           "facts.monthly_rent_fen": "八百"}  # fmt: skip
    refused = await post_from(clerk, NEW, NEW, bad)
    assert refused.status_code == 422 and field_error(refused.text, "f-facts-monthly_rent_fen")
    good = {**bad, "facts.monthly_rent_fen": "800.50"}
    answer = await post_from(clerk, NEW, NEW, good)
    assert answer.status_code == 303, answer.text
    match = APP_LINK.search(answer.headers["location"])
    assert match
    saved = await row(match.group(1))
    assert store.as_json(saved["facts"]) == {"months": 6, "monthly_rent_fen": 80050}
    page = await clerk.get(answer.headers["location"])
    assert "800.50" in page.text
    unknown = {"kind": "enterprise", "uscc": credit_code()}  # valid, registered nowhere
    nobody = await post_from(clerk, NEW, f"{NEW}/find", unknown)
    assert nobody.status_code == 404
    assert field_error(nobody.text, "f-uscc") == "本区没有登记该统一社会信用代码的企业。"


async def test_submit_and_a_stale_version_is_refused_with_nothing_applied(clerk: httpx.AsyncClient) -> None:
    made = await draft()
    page_path = f"/subsidies/applications/{made['id']}"
    page = await clerk.get(page_path)
    version = version_on(page.text)
    stale = await post_from(clerk, page_path, f"{page_path}/submit", {"version": str(int(version) - 1)})
    assert stale.status_code == 409
    assert "刚被其他人修改过" in stale.text
    assert (await row(made["id"]))["state"] == "draft"
    done = await post_from(
        clerk, page_path, f"{page_path}/submit", {"version": version, "comment": "材料齐全"}
    )
    assert done.status_code == 303
    shown = await clerk.get(done.headers["location"])
    assert "已提交审核" in shown.text and "材料齐全" in shown.text  # the timeline keeps the comment
    again = await post_from(clerk, page_path, f"{page_path}/submit", {"version": version})
    assert again.status_code == 409
    assert (await row(made["id"]))["state"] == "submitted"


async def test_withdraw_a_draft(clerk: httpx.AsyncClient) -> None:
    made = await draft()
    path = f"/subsidies/applications/{made['id']}"
    page = await clerk.get(path)
    done = await post_from(clerk, path, f"{path}/withdraw", {"version": version_on(page.text)})
    assert done.status_code == 303
    assert (await row(made["id"]))["state"] == "withdrawn"


async def test_objection_recorded_by_the_clerk_puts_the_award_on_hold(clerk: httpx.AsyncClient) -> None:
    award = await in_notice()
    path = f"/subsidies/applications/{award['id']}"
    page = await clerk.get(path)
    assert 'id="notice-window"' in page.text and award["notice_ends_on"].isoformat() in page.text
    empty = await post_from(clerk, path, f"{path}/objections", {"raised_by": "", "content": ""})
    assert empty.status_code == 422 and field_error(empty.text, "f-content")
    assert (await row(award["id"]))["state"] == "in_notice"
    data = {"raised_by": "王先生(电话来访)", "raised_on": "2026-03-02", "content": "申请人已在外地就业"}
    done = await post_from(clerk, path, f"{path}/objections", data)
    assert done.status_code == 303
    shown = await clerk.get(done.headers["location"])
    assert (
        "王先生(电话来访)" in shown.text and "2026-03-02" in shown.text and "申请人已在外地就业" in shown.text
    )
    assert (await row(award["id"]))["state"] == "on_hold"


async def test_payee_fix_after_a_failed_payment_makes_the_award_ready(clerk: httpx.AsyncClient) -> None:
    award = await in_notice()
    path = f"/subsidies/applications/{award['id']}"
    assert 'id="fix-payee"' not in (await clerk.get(path)).text  # only after a failed payment
    await force_state(award["id"], PENGJIANG, "payment_failed")
    page = await clerk.get(path)
    assert 'id="fix-payee"' in page.text and "支付失败" in page.text
    done = await post_from(clerk, path, f"{path}/correct-payee", {"version": version_on(page.text)})
    assert done.status_code == 303
    assert (await row(award["id"]))["state"] == "ready"
    again = await clerk.get(path)
    assert 'id="fix-payee"' not in again.text and "待支付" in again.text


async def test_list_filters_and_exports_are_masked(clerk: httpx.AsyncClient) -> None:
    made = await draft()
    other = await in_notice()
    ref = made["number"]
    listed = await clerk.get(
        "/subsidies/applications", params={"state": "draft", "ref": f" {ref.lower()} "}
    )  # exact, any case
    assert listed.status_code == 200
    assert ref in listed.text and other["number"] not in listed.text
    assert "陈美玲" not in listed.text and "陈*" in listed.text  # names masked
    by_state = await clerk.get(
        "/subsidies/applications", params={"state": "in_notice", "program": "startup_once"}
    )
    assert other["number"] in by_state.text and ref not in by_state.text
    future = await clerk.get("/subsidies/applications", params={"from": "2099-01-01"})
    assert ref not in future.text
    answer = await clerk.get("/subsidies/applications/export", params={"format": "csv", "state": "in_notice"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["申请编号", "补贴项目"]
    mine = [r for r in rows if r[0] == other["number"]]
    assert mine and mine[0][4] == "10,000.00" and "陈美玲" not in answer.content.decode("utf-8-sig")
    assert "*" in mine[0][6]  # the payee account masked
    book = await clerk.get("/subsidies/applications/export", params={"format": "xlsx", "ref": ref})
    sheet = load_workbook(io.BytesIO(book.content)).active
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert [v[0] for v in values[1:]] == [ref]


async def test_export_neutralises_a_formula_in_a_name(clerk: httpx.AsyncClient) -> None:
    from renshe.subsidies.applications import service
    from tests.subsidies.applications_support import caller

    enterprise_id = await enterprise(name='=HYPERLINK("http://x")有限公司')
    draft_row = await service.create(
        await caller(PENGJIANG, Role.CLERK),
        service.Draft(
            "startup_rent", enterprise_id=enterprise_id, facts={"months": 2, "monthly_rent_fen": 50000}
        ),
    )
    answer = await clerk.get(
        "/subsidies/applications/export", params={"format": "csv", "ref": draft_row["number"]}
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[1][2] == '\'=HYPERLINK("http://x")有限公司'


async def test_another_districts_application_answers_404_everywhere(app: Any) -> None:
    foreign = await in_notice(JIANGHAI)
    async with browser(app, PENGJIANG, Role.CLERK) as (client, _user):
        path = f"/subsidies/applications/{foreign['id']}"
        assert (await client.get(path)).status_code == 404
        assert (await client.get(f"{NEW}?person_id={foreign['person_id']}")).status_code == 404
        for action, data in [
            ("submit", {"version": "1"}), ("withdraw", {"version": "1"}), ("correct-payee", {"version": "1"}),
            ("objections", {"raised_by": "某人", "content": "异议"}),
        ]:  # fmt: skip
            answer = await post_from(client, "/subsidies/applications", f"{path}/{action}", data)
            assert answer.status_code == 404, action
        listed = await client.get("/subsidies/applications")
        assert foreign["number"] not in listed.text
    assert (await row(foreign["id"], JIANGHAI))["state"] == "in_notice"


async def test_roles_without_access_get_403(app: Any) -> None:
    made = await draft()
    async with browser(app, "440700", Role.AUDITOR) as (auditor, _):
        assert (await auditor.get("/subsidies/applications")).status_code == 403
        assert (await auditor.get(f"/subsidies/applications/{made['id']}")).status_code == 403
    async with browser(app, "440700", Role.CITY_ANALYST) as (analyst, _):  # aggregates only
        assert (
            await analyst.get("/subsidies/applications", params={"ref": made["number"]})
        ).status_code == 403
        assert (await analyst.get(f"/subsidies/applications/{made['id']}")).status_code == 403
        assert (await analyst.get(NEW)).status_code == 403
    async with new_client(app) as inspector:  # the city administrator under supervision: reads
        await supervision.supervising_browser(inspector, PENGJIANG)
        listed = await inspector.get("/subsidies/applications", params={"ref": made["number"]})
        assert listed.status_code == 200 and made["number"] in listed.text
        assert (await inspector.get(NEW)).status_code == 403
    async with browser(app, PENGJIANG, Role.FINANCE) as (finance, _):
        assert (await finance.get("/subsidies/applications")).status_code == 200  # reads the list
        assert (await finance.get(NEW)).status_code == 403
        path = f"/subsidies/applications/{made['id']}"
        page = await finance.get(path)
        assert page.status_code == 200 and "提交审核" not in page.text  # no action offered
        answer = await post_from(finance, path, f"{path}/submit", {"version": str(made["version"])})
        assert answer.status_code == 403
    assert (await row(made["id"]))["state"] == "draft"


async def test_english_switch_renders_english(clerk: httpx.AsyncClient) -> None:
    await clerk.get("/lang/en?next=/")
    try:
        page = await clerk.get("/subsidies/applications")
        assert "Subsidy applications" in page.text and "Enter an application" in page.text
    finally:
        await clerk.get("/lang/zh_CN?next=/")
    page = await clerk.get("/subsidies/applications")
    assert "补贴申请" in page.text


LIST_ROW = re.compile(r'<tr data-application="[0-9a-f-]{36}">')


async def test_the_list_pages_by_the_size_the_clerk_chose(clerk: httpx.AsyncClient) -> None:
    for _ in range(21):
        await draft()
    answer = await clerk.get("/subsidies/applications", params={"size": "20"})
    assert answer.status_code == 200
    html = answer.text
    assert len(LIST_ROW.findall(html)) == 20
    assert re.search(r'<option value="20" selected>20</option>', html), "the chosen size is shown"
    # the next page keeps the size; an unknown size falls back to the default of 50
    assert "size=20" in html and "page=2" in html
    wider = await clerk.get("/subsidies/applications", params={"size": "7"})
    assert len(LIST_ROW.findall(wider.text)) > 20
