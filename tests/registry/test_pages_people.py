"""People pages as a clerk uses them in a browser (forms, CSRF, redirects), over real HTTP:
register with field errors in Chinese (English when switched), warnings to confirm, duplicates
with a link, search, lists, edit with optimistic locking, city read-only, foreign ids → 404; and
the enterprise list's total and page size, kept with its filters."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.registry import enterprises
from renshe.registry.model import EnterpriseInput
from tests.accounts.support import field_error, field_warning, new_client, page_csrf, signed_in
from tests.registry.support import (
    TESTER,
    credit_code,
    hkid,
    home_return_permit,
    luhn_card,
    mobile,
    not_luhn_card,
    prc_id,
    unit_id,
)
from tests.supervision import support as supervision

NEW = "/registry/people/new"
DETAIL = re.compile(r"/registry/people/([0-9a-f-]{36})")


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> Any:
    async with new_client(app) as c:
        await signed_in(c, "440703", Role.CLERK)
        yield c


async def post_new(client: httpx.AsyncClient, form: dict[str, Any]) -> httpx.Response:
    token = await page_csrf(client, NEW)
    return await client.post(NEW, data={"_csrf": token, **form}, follow_redirects=False)


def person_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "name": "陈美玲",
        "doc_type": "prc_id",
        "doc_number": prc_id("440703"),
        "mobile": mobile(),
        "bank.account_number": luhn_card(),
        "bank.bank_name": "中国工商银行江门分行",
        "address": "江门市蓬江区",
    }
    form.update(overrides)
    return form


async def register(client: httpx.AsyncClient, **overrides: Any) -> str:
    answer = await post_new(client, person_form(**overrides))
    assert answer.status_code == 303, answer.text
    match = DETAIL.search(answer.headers["location"])
    assert match
    return match.group(1)


def form_values(html: str) -> dict[str, str]:
    """What the browser would send back from a form page unchanged (inputs, selected options,
    text areas)."""
    values: dict[str, str] = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        values.setdefault(name, value)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S):
        values[name] = body
    return values


async def test_bad_check_character_is_shown_at_the_document_field_in_chinese(
    clerk: httpx.AsyncClient,
) -> None:
    good = prc_id("440703")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    answer = await post_new(clerk, person_form(doc_number=bad, mobile="12345"))
    assert answer.status_code == 422
    assert "校验" in field_error(answer.text, "f-documents-0-number") or "核对" in field_error(
        answer.text, "f-documents-0-number"
    )
    assert field_error(answer.text, "f-mobile")  # every bad field at once
    # what the clerk typed stays on the form, nothing was saved
    assert bad in answer.text


async def test_english_when_the_language_is_switched(app: Any) -> None:
    async with new_client(app) as c:
        await signed_in(c, "440703", Role.CLERK)
        c.cookies.set("lang", "en")
        answer = await post_new(c, person_form(name=""))
        assert answer.status_code == 422
        assert field_error(answer.text, "f-name") == "Enter the name."
        assert "Register a person" in answer.text


async def test_luhn_failure_is_a_warning_confirmed_with_a_checkbox(clerk: httpx.AsyncClient) -> None:
    form = person_form(**{"bank.account_number": not_luhn_card()})
    first = await post_new(clerk, form)
    assert first.status_code == 422
    assert 'name="confirm_warnings"' in first.text
    assert field_warning(first.text, "f-bank-account_number")  # amber: to confirm, not to fix
    assert 'aria-invalid="false" aria-describedby="f-bank-account_number-msg"' in first.text
    confirmed = await post_new(clerk, form | {"confirm_warnings": "1"})
    assert confirmed.status_code == 303


async def test_registered_person_detail_is_masked_with_history(clerk: httpx.AsyncClient) -> None:
    number = prc_id("440703")
    person_id = await register(clerk, doc_number=number, name="陈美玲")
    page = await clerk.get(f"/registry/people/{person_id}")
    assert page.status_code == 200
    assert "陈*玲" in page.text and "陈美玲" not in page.text
    assert number[:6] + "*" * 10 + number[-2:] in page.text and number not in page.text
    assert "登记" in page.text  # the history shows the registration


async def test_duplicate_document_links_to_the_existing_person(clerk: httpx.AsyncClient) -> None:
    number = prc_id("440703")
    first = await register(clerk, doc_number=number)
    again = await post_new(clerk, person_form(doc_number=number, name="李四"))
    assert again.status_code == 409
    assert f'href="/registry/people/{first}"' in again.text


async def test_several_documents_and_an_added_row(clerk: httpx.AsyncClient) -> None:
    row = await clerk.get("/registry/people/document-row", headers={"HX-Request": "true"})
    assert row.status_code == 200 and 'name="doc_number"' in row.text
    hk = hkid()
    person_id = await register(
        clerk,
        name="陈大文",
        doc_type=["hkid", "home_return_permit"],
        doc_number=[hk, home_return_permit("H") + "01"],
        **{"bank.account_number": "", "bank.bank_name": ""},
    )
    page = await clerk.get(f"/registry/people/{person_id}")
    assert page.text.count('class="document-number"') == 2


async def test_search_by_exact_document(clerk: httpx.AsyncClient, app: Any) -> None:
    number = prc_id("440703")
    person_id = await register(clerk, doc_number=number)
    token = await page_csrf(clerk, "/registry/people/search")
    found = await clerk.post(
        "/registry/people/search", data={"_csrf": token, "type": "prc_id", "number": number}
    )
    assert found.status_code == 303 and found.headers["location"] == f"/registry/people/{person_id}"
    # the same number searched in another district: simply not found, like a number nobody has
    async with new_client(app) as other:
        await signed_in(other, "440704", Role.CLERK)
        token = await page_csrf(other, "/registry/people/search")
        elsewhere = await other.post(
            "/registry/people/search", data={"_csrf": token, "type": "prc_id", "number": number}
        )
        nobody = await other.post(
            "/registry/people/search", data={"_csrf": token, "type": "prc_id", "number": prc_id("440704")}
        )
    assert elsewhere.status_code == nobody.status_code == 404
    strip = re.compile(r'name="_csrf" value="[^"]*"|<code>[^<]*</code>')
    assert strip.sub("", elsewhere.text) == strip.sub("", nobody.text)
    assert number not in elsewhere.text


async def test_list_filters_and_pages(clerk: httpx.AsyncClient) -> None:
    for _ in range(3):
        await register(
            clerk, name="欧阳测试", doc_type="passport", doc_number=f"E{prc_id()[-8:]}", residency="foreign"
        )
    page = await clerk.get(
        "/registry/people", params={"name": "欧阳", "document_type": "passport", "sort": "name"}
    )
    assert page.status_code == 200
    assert page.text.count("欧阳*试") >= 3
    empty = await clerk.get("/registry/people", params={"name": "欧阳", "residency": "macao"})
    assert "欧阳*试" not in empty.text


async def test_stale_edit_is_refused_and_shows_the_current_values(clerk: httpx.AsyncClient) -> None:
    person_id = await register(clerk)
    edit = f"/registry/people/{person_id}/edit"
    form = form_values((await clerk.get(edit)).text)
    assert form["version"] == "1" and form["name"] == ""  # the name is not shown in clear
    first = await clerk.post(edit, data=form | {"school": "五邑大学"})
    assert first.status_code == 303, first.text
    stale = await clerk.post(edit, data=form | {"school": "江门职业技术学院"})  # the tab opened before
    assert stale.status_code == 409
    assert 'data-stale="true"' in stale.text
    assert 'value="五邑大学"' in stale.text and 'name="version" value="2"' in stale.text
    detail = await clerk.get(f"/registry/people/{person_id}")
    assert "五邑大学" in detail.text and "江门职业技术学院" not in detail.text


async def test_city_users_read_only_under_supervision_and_without_forms(
    clerk: httpx.AsyncClient, app: Any
) -> None:
    person_id = await register(clerk)
    async with new_client(app) as analyst:
        await signed_in(analyst, "440700", Role.CITY_ANALYST)
        assert (await analyst.get(f"/registry/people/{person_id}")).status_code == 403
        assert (await analyst.get("/registry/people")).status_code == 403
    async with new_client(app) as city:
        await supervision.supervising_browser(city, "440704")  # another district: not this person's
        assert (await city.get(f"/registry/people/{person_id}")).status_code == 404
    async with new_client(app) as city:
        await supervision.supervising_browser(city, "440703")
        page = await city.get(f"/registry/people/{person_id}")
        assert page.status_code == 200
        assert "<form" not in page.text.split('<main id="main"', 1)[1]
        assert (await city.get(NEW)).status_code == 403
        listing = await city.get("/registry/people")
        assert listing.status_code == 200 and "/registry/people/new" not in listing.text


async def test_another_districts_person_is_a_404_like_a_missing_one(
    clerk: httpx.AsyncClient, app: Any
) -> None:
    person_id = await register(clerk)
    async with new_client(app) as other:
        await signed_in(other, "440704", Role.CLERK)
        foreign = await other.get(f"/registry/people/{person_id}")
        missing = await other.get("/registry/people/00000000-0000-4000-8000-000000000000")
    assert foreign.status_code == missing.status_code == 404
    strip = re.compile(r"<code>[^<]*</code>|name=\"csrf-token\" content=\"[^\"]*\"|_csrf\" value=\"[^\"]*\"")
    assert strip.sub("", foreign.text).replace(person_id, "ID") == strip.sub("", missing.text).replace(
        "00000000-0000-4000-8000-000000000000", "ID"
    )


async def test_unmask_shows_the_number_in_place_and_is_audited(clerk: httpx.AsyncClient) -> None:
    phone = mobile()
    person_id = await register(clerk, mobile=phone)
    token = await page_csrf(clerk, f"/registry/people/{person_id}")
    shown = await clerk.post(
        f"/registry/people/{person_id}/unmask",
        data={"field": "mobile", "reason": "电话回访核实"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert shown.status_code == 200 and phone in shown.text
    assert "<html" not in shown.text
    page = await clerk.get(f"/registry/people/{person_id}")
    assert phone not in page.text and "电话回访核实" in page.text  # the history names the reason


async def test_link_to_an_enterprise_by_credit_code(clerk: httpx.AsyncClient) -> None:
    from tests.registry.support import credit_code

    code = credit_code("440703")
    token = await page_csrf(clerk, "/registry/enterprises/new")
    made = await clerk.post(
        "/registry/enterprises/new",
        data={
            "_csrf": token,
            "name": "江门市链接测试有限公司",
            "uscc": code,
            "legal_representative": "李大明",
        },
    )
    assert made.status_code == 303, made.text
    person_id = await register(clerk)
    linked = await clerk.post(
        f"/registry/people/{person_id}/links", data={"_csrf": token, "uscc": code, "role": "founder"}
    )
    assert linked.status_code == 303
    page = await clerk.get(f"/registry/people/{person_id}")
    assert "江门市链接测试有限公司" in page.text and "创办人" in page.text


async def test_edit_forms_keep_the_birth_date_and_a_persons_account_holder_masked(
    clerk: httpx.AsyncClient, admin_url: str
) -> None:
    """The edit form shows the year of birth only (the date with the masked ID gives the number
    away) and a sole proprietor's account holder masked; saving without retyping keeps both."""
    from tests.registry.support import credit_code, raw_rows

    number = prc_id("440703")
    person_id = await register(clerk, doc_number=number)
    edit = f"/registry/people/{person_id}/edit"
    page = (await clerk.get(edit)).text
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    assert born not in page and f"当前为 {number[6:10]}-**-**" in page
    values = {k: v for k, v in form_values(page).items() if not k.startswith("remove_")}
    saved = await clerk.post(edit, data=values | {"school": "五邑大学"})
    assert saved.status_code == 303, saved.text
    sql = "SELECT birth_date::text AS born, school FROM persons WHERE id = $1::uuid"
    rows = await raw_rows(admin_url, sql, person_id)
    assert rows == [{"born": born, "school": "五邑大学"}]

    token = await page_csrf(clerk, "/registry/enterprises/new")
    made = await clerk.post(
        "/registry/enterprises/new",
        data={"_csrf": token, "name": "江门市个体测试店", "uscc": credit_code("440703"),
              "legal_representative": "李大明", "bank.account_number": luhn_card("4402"),
              "bank.account_name": "李大明"},
    )  # fmt: skip
    assert made.status_code == 303, made.text
    enterprise = made.headers["location"].rsplit("/", 1)[-1].split("?")[0]
    edit = f"/registry/enterprises/{enterprise}/edit"
    page = (await clerk.get(edit)).text
    assert "李大明" not in page and "当前为 李*明" in page
    values = form_values(page) | {"bank.account_number": luhn_card("4402")}  # a new account, same holder
    saved = await clerk.post(edit, data=values)
    assert saved.status_code == 303, saved.text
    sql = "SELECT bank_account_name FROM enterprises WHERE id = $1::uuid"
    rows = await raw_rows(admin_url, sql, enterprise)
    assert rows == [{"bank_account_name": "李大明"}]


# ---------------------------------------------------------------- the enterprise list


ENTERPRISE_ROW = re.compile(r'<a href="/registry/enterprises/[0-9a-f-]{36}">')


async def _register_enterprises(prefix: str, count: int) -> None:
    tenant = await unit_id("440703")
    async with tenant_transaction(TenantContext.district(tenant)):
        for i in range(count):
            data = EnterpriseInput(
                name=f"{prefix}{i:02d}有限公司", uscc=credit_code("440703"), legal_representative="李大明",
                registered_on=date(2024, 3, 1), confirm_warnings=True,
            )  # fmt: skip
            await enterprises.register_enterprise(tenant, TESTER, data)


def _enterprise_rows(html: str) -> int:
    table = re.search(r'<table [^>]*id="enterprises".*?</table>', html, re.S)
    return len(ENTERPRISE_ROW.findall(table.group(0))) if table else 0


async def test_the_enterprise_list_pages_by_the_size_the_clerk_chose(clerk: httpx.AsyncClient) -> None:
    prefix = f"江门市分页{uuid4().hex[:6]}"  # a name filter only this test's enterprises match
    await _register_enterprises(prefix, 21)
    answer = await clerk.get("/registry/enterprises", params={"name": prefix, "size": "20"})
    assert answer.status_code == 200
    html = answer.text
    assert _enterprise_rows(html) == 20
    assert 'data-total="21"' in html, "the total of the filtered list is shown"
    assert re.search(r'<option value="20" selected>20</option>', html), "the chosen size is shown"
    # the next page keeps the filter and the size, and so does the filter form
    next_link = re.search(r'rel="next" href="([^"]+)"', html)
    assert next_link and "size=20" in next_link.group(1) and "page=2" in next_link.group(1)
    assert "name=" in next_link.group(1)
    assert '<input type="hidden" name="size" value="20">' in html
    second = await clerk.get(next_link.group(1).replace("&amp;", "&"))
    assert _enterprise_rows(second.text) == 1
    # an unknown size falls back to the default of 50: all 21 on one page
    wider = await clerk.get("/registry/enterprises", params={"name": prefix, "size": "7"})
    assert _enterprise_rows(wider.text) == 21 and 'rel="next"' not in wider.text
