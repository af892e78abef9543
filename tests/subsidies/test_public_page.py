"""The public notice page: no login, masked name and ID (a compound surname whole), program, amount
in yuan, window, the district's objection contact, a page for citizens (no staff layout); an award
only from the first day of its notice; another district's page does not list our awards; an
unknown district is a 404 page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.applications.public import notices_of
from renshe.subsidies.applications.store import today
from renshe.subsidies.programs.sync import sync_catalogue
from tests.registry.support import client as new_client
from tests.registry.support import unit_id
from tests.subsidies.applications_support import (
    JIANGHAI,
    PENGJIANG,
    STARTUP,
    STARTUP_FEN,
    award_in_notice,
    budget_room,
    caller,
    submitted,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None, admin_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    await budget_room(admin_url, PENGJIANG, STARTUP, today().year, 20 * STARTUP_FEN)
    async with new_client(create_app()) as c:
        yield c


async def test_public_page_lists_awards_in_notice_masked_without_login(client: httpx.AsyncClient) -> None:
    done = await award_in_notice()
    before = await client.get(f"/public/{PENGJIANG}/notices")
    waiting = await submitted(await caller(PENGJIANG, Role.CLERK))  # submitted, not approved: not published

    page = await client.get(f"/public/{PENGJIANG}/notices", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert "补贴发放公示" in html and "如何提出异议" in html
    assert "陈美玲" not in html and "陈*玲" in html  # the name only masked
    assert "一次性创业资助" in html and "10,000.00" in html
    assert done["notice_starts_on"].isoformat() in html and done["notice_ends_on"].isoformat() in html
    id_masked = await _id_masked(done["person_id"])
    assert "*" in id_masked and id_masked in html  # the masked ID, never the number
    assert str(waiting["id"]) not in html and str(done["id"]) not in html  # no internal ids either
    # submitted, not yet in notice: the page has no more entries than before it was submitted
    # (masked IDs of other tests' people may coincide, so count entries instead of searching for it)
    assert html.count("<article") == before.text.count("<article")

    other = await client.get(f"/public/{JIANGHAI}/notices", headers={"Accept-Language": "zh-CN"})
    assert other.status_code == 200 and "补贴发放公示" in other.text
    assert id_masked not in other.text


async def test_an_award_appears_from_the_first_day_of_its_notice_not_on_approval(
    client: httpx.AsyncClient,
) -> None:
    approved_today = await award_in_notice(on=today())  # its notice starts on the next working day
    assert approved_today["notice_starts_on"] > today()
    id_masked = await _id_masked(approved_today["person_id"])
    html = (await client.get(f"/public/{PENGJIANG}/notices")).text
    assert approved_today["notice_ends_on"].isoformat() not in html or id_masked not in html
    _, items = await notices_of(PENGJIANG)
    assert all(i["starts_on"] <= today() for i in items)
    _, tomorrow = await notices_of(PENGJIANG, approved_today["notice_starts_on"])
    assert any(i["starts_on"] == approved_today["notice_starts_on"] for i in tomorrow)


async def test_the_page_is_for_citizens_with_the_districts_objection_contact(
    client: httpx.AsyncClient,
) -> None:
    await award_in_notice("欧阳晓琳")
    html = (await client.get(f"/public/{PENGJIANG}/notices", headers={"Accept-Language": "zh-CN"})).text
    # the contact from tenants/440703-pengjiang.toml, and the closing time on the last day
    assert "江门市蓬江区白沙大道西1号" in html and 'href="tel:07503506123"' in html and "0750-3506123" in html
    assert "17:30" in html and "异议截止" in html
    # written for the public: no staff navigation, no intranet wording, a footer with the hotline
    assert "内网" not in html and "intranet" not in html.lower() and "退出登录" not in html
    assert "<footer>" in html and "12333" in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "css/public.css" in html
    # a compound surname stays whole, as on every staff page
    assert "欧阳*琳" in html and "欧阳晓琳" not in html
    # another district's contact is its own
    jianghai = (await client.get(f"/public/{JIANGHAI}/notices")).text
    assert "0750-3862215" in jianghai and "0750-3506123" not in jianghai


async def _id_masked(person_id: UUID) -> str:
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        found: str = await current_transaction().connection.fetchval(
            "SELECT number_masked FROM person_documents WHERE person_id = $1", person_id
        )
    return found


async def test_unknown_or_city_code_is_a_404_page(client: httpx.AsyncClient) -> None:
    for code in ("999999", "440700"):
        page = await client.get(f"/public/{code}/notices")
        assert page.status_code == 404
        assert "text/html" in page.headers["content-type"]
