"""The public notice page: no login, masked name and ID, program, amount in yuan, window, how to
object; another district's page does not list our awards; an unknown district is a 404 page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.applications import service
from renshe.subsidies.applications.store import today
from renshe.subsidies.programs.sync import sync_catalogue
from tests.registry.support import client as new_client
from tests.registry.support import unit_id
from tests.subsidies.applications_support import (
    JIANGHAI,
    PENGJIANG,
    STARTUP,
    STARTUP_FEN,
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
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    sub = await submitted(clerk)
    done = await service.approve(reviewer, sub["id"], sub["version"])
    before = await client.get(f"/public/{PENGJIANG}/notices")
    waiting = await submitted(clerk)  # submitted, not approved: not published

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
    # submitted, not yet in notice: the page has no more rows than before it was submitted
    # (masked IDs of other tests' people may coincide, so count rows instead of searching for it)
    assert html.count("<tr") == before.text.count("<tr")

    other = await client.get(f"/public/{JIANGHAI}/notices", headers={"Accept-Language": "zh-CN"})
    assert other.status_code == 200 and "补贴发放公示" in other.text
    assert id_masked not in other.text


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
