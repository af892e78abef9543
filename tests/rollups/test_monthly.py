"""The monthly report (月报): written by the job on the night of the first working day, once; one
sheet per domain, a row per district and the city's total that adds them up, Chinese headers,
number formats, counts of people under 3 shown as "<3"; the same bytes when written again; city
roles download it, nobody else."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest
from openpyxl import load_workbook

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner
from renshe.jobs import service as jobs
from renshe.rollups import monthly, tasks
from renshe.tenancy.service import subtree_ids
from tests.accounts.support import new_client, page_csrf, signed_in
from tests.registry.support import unit_id

CITY = "440700"
APRIL = date(2017, 4, 1)


async def _city_context() -> tuple[Any, TenantContext]:
    city = await unit_id(CITY)
    async with tenant_transaction(TenantContext.none()):
        units = await subtree_ids(city)
    return city, TenantContext.subtree(units, city)


async def _run(args: dict[str, Any], business_date: date | None = None) -> dict[str, Any]:
    city, ctx = await _city_context()
    async with tenant_transaction(ctx):
        key = f"test-monthly:{uuid.uuid4()}"
        job = await jobs.enqueue(tasks.MONTHLY, city, args, key, business_date=business_date)
    assert await runner.run(city, job.id, worker="w1") == "succeeded"
    async with tenant_transaction(ctx):
        row = await current_transaction().connection.fetchrow("SELECT result FROM jobs WHERE id = $1", job.id)
    result = row["result"]
    return dict(json.loads(result) if isinstance(result, str) else result)


async def _content(month: date) -> bytes:
    city, ctx = await _city_context()
    async with tenant_transaction(ctx):
        content = await monthly.content_of(city, month)
    assert content is not None
    return content


def test_the_night_of_the_first_working_day_writes_the_month_before() -> None:
    # 1–7 October 2026 are the National Day holidays: the first working day is Thursday the 8th
    assert monthly.report_month(date(2026, 10, 7)) is None
    assert monthly.report_month(date(2026, 10, 8)) == date(2026, 9, 1)
    assert monthly.report_month(date(2026, 11, 30)) == date(2026, 10, 1)
    assert monthly.report_month(date(2026, 12, 1)) == date(2026, 11, 1)


async def test_the_report_adds_up_shows_small_cells_and_is_byte_stable(history_2017: None) -> None:
    first = await _run({"month": "2017-04"})
    assert first["month"] == "2017-04"
    content = await _content(APRIL)
    await asyncio.sleep(2.1)  # past the zip format's two-second clock: a stamped time would show
    again = await _run({"month": "2017-04"})
    assert again["sha256"] == first["sha256"] == monthly.digest(content)
    assert await _content(APRIL) == content  # byte-identical

    wb = load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["就业创业补贴", "港澳青年", "人才卡"]
    ws = wb["就业创业补贴"]
    header = [c.value for c in ws[3]]
    assert header[:4] == ["区县", "区县代码", "受理申请（件）", "核准（笔）"]
    rows = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}
    assert ws.cell(ws.max_row, 1).value == "全市合计" and len(rows) == 8  # seven districts and the city
    paid = header.index("发放金额（元）") + 1
    taishan = rows["440781"]
    assert ws.cell(taishan, paid).value == 1000 and ws.cell(taishan, paid).number_format == "#,##0.00"
    total = sum(ws.cell(r, paid).value for r in range(4, ws.max_row))
    assert ws.cell(ws.max_row, paid).value == total  # the districts add up to the city
    people = header.index("新增受益人数") + 1
    assert ws.cell(taishan, people).value == "<3"  # one person: a small cell
    assert ws.cell(ws.max_row, people).value == "<3"


async def test_the_citys_own_threshold_decides_the_small_cells(history_2017: None, admin_url: str) -> None:
    """``[rollups] small_cell_threshold`` in the city's tenant file: at 1, no count is hidden."""
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            """UPDATE org_units SET settings = jsonb_set(settings, '{rollups}', '{"small_cell_threshold": 1}')
               WHERE code = $1""",
            CITY,
        )
        await _run({"month": "2017-04"})
    finally:
        await conn.execute(
            """UPDATE org_units SET settings = jsonb_set(settings, '{rollups}', '{"small_cell_threshold": 3}')
               WHERE code = $1""",
            CITY,
        )
        await conn.close()
    ws = load_workbook(io.BytesIO(await _content(APRIL)))["就业创业补贴"]
    header = [c.value for c in ws[3]]
    taishan = {ws.cell(r, 2).value: r for r in range(4, ws.max_row + 1)}["440781"]
    assert ws.cell(taishan, header.index("新增受益人数") + 1).value == 1
    assert "人数小于 1 的" in str(ws.cell(2, 1).value)
    await _run({"month": "2017-04"})  # as it was, for the other tests


async def test_the_night_writes_once(history_2017: None) -> None:
    await _run({"month": "2017-04"})
    early = await _run({}, business_date=date(2017, 5, 1))  # 29 April–1 May 2017 were holidays
    assert early["month"] is None
    again = await _run({}, business_date=date(2017, 5, 2))
    assert again["month"] is None  # April's exists already: the night writes it once
    due = await _run({}, business_date=date(2017, 6, 1))
    assert due["month"] == "2017-05"


async def test_city_roles_download_it_and_districts_cannot(app: Any, history_2017: None) -> None:
    await _run({"month": "2017-04"})
    content = await _content(APRIL)
    async with new_client(app) as client:
        await signed_in(client, CITY, Role.CITY_ANALYST)
        page = await client.get("/rollups/reports")
        assert page.status_code == 200 and "2017-04" in page.text
        got = await client.get("/rollups/reports/2017-04/download")
        assert got.status_code == 200 and got.content == content
        assert (await client.get("/rollups/reports/2017-01/download")).status_code == 404
        token = await page_csrf(client, "/rollups/reports")
        refused = await client.post("/rollups/reports", data={"_csrf": token, "month": "2017-04"})
        assert refused.status_code == 403  # the analyst reads; the administrator writes
    async with new_client(app) as district:
        await signed_in(district, "440781", Role.DISTRICT_ADMIN)
        assert (await district.get("/rollups/reports/2017-04/download")).status_code == 403


@pytest.fixture
def app() -> Any:
    from renshe.web.app import create_app

    return create_app()
