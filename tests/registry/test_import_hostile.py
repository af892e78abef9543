"""Hostile workbooks through the registry import: a zip bomb, a shared-strings bomb and a
whitespace bomb are refused at upload with the reason in Chinese and nothing stored; a file with a
cell in column XFD on every row is stored, and its check stops at the first such cell with the row
and column named, importing nobody."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from tests.accounts.support import new_client, page_csrf, signed_in
from tests.registry.import_support import count_people, upload, validate
from tests.registry.support import unit_id
from tests.spreadsheets import hostile

pytestmark = pytest.mark.asyncio(loop_scope="session")
DISTRICT = "440705"


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> Any:
    async with new_client(app) as c:
        await signed_in(c, DISTRICT, Role.CLERK)
        yield c


async def stored_batches(tenant: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        return int(await current_transaction().connection.fetchval("SELECT count(*) FROM import_batches"))


BOMBS = {
    "zip bomb": (hostile.zip_bomb, "该工作簿解压后超过 100 MB"),
    "shared-strings bomb": (hostile.shared_strings_bomb, "该工作簿解压后超过 100 MB"),
    "whitespace bomb": (hostile.whitespace_bomb, "该工作簿解压后超过 100 MB"),
    "whitespace padding": (hostile.whitespace_padding, "含有连续超过 8192 个空白字符"),
}


@pytest.mark.parametrize("name", BOMBS)
async def test_a_bomb_is_refused_at_upload_and_nothing_is_stored(clerk: httpx.AsyncClient, name: str) -> None:
    make, shown = BOMBS[name]
    tenant = await unit_id(DISTRICT)
    before = await stored_batches(tenant)
    token = await page_csrf(clerk, "/registry/imports")
    answer = await clerk.post(
        "/registry/imports",
        data={"_csrf": token, "kind": "people"},
        files={"file": ("名单.xlsx", make(), "application/octet-stream")},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.status_code
    assert shown in answer.text
    assert await stored_batches(tenant) == before


async def test_a_cell_in_column_xfd_stops_the_check_naming_row_and_column(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id(DISTRICT)
    people_before = await count_people(tenant)
    batch = await upload(clerk, hostile.far_column(rows=50, dimension=False), "名单.xlsx")
    checked = await validate(tenant, batch)
    assert checked["status"] == "invalid" and checked["row_count"] == 0
    page = await clerk.get(f"/registry/imports/{batch}")
    assert "第 1 行：XFD 列有单元格；最多读取 50 列（至 AX 列）" in page.text
    assert await count_people(tenant) == people_before


async def test_the_refusal_is_in_english_when_switched(clerk: httpx.AsyncClient) -> None:
    token = await page_csrf(clerk, "/registry/imports")
    answer = await clerk.post(
        "/registry/imports",
        data={"_csrf": token, "kind": "people"},
        files={"file": ("people.xlsx", hostile.zip_bomb(), "application/octet-stream")},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    assert answer.status_code == 422
    assert "The workbook unpacks to more than 100 MB." in answer.text
