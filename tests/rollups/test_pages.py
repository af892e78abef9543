"""The rollups page: headline figures, a chart and a table per view, drill-down and exports; a
district sees itself only; no page names a person."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import httpx
from openpyxl import load_workbook

from renshe.accounts.principal import Role
from tests.accounts.support import new_client, signed_in

WINDOW = {"from": "2017-03", "to": "2017-04", "family": "employment"}


async def _browser(app: Any, code: str, role: Role) -> httpx.AsyncClient:
    browser = new_client(app)
    await signed_in(browser, code, role)
    return browser


async def test_the_city_page_draws_every_view_and_drills_into_a_district(history_2017: None) -> None:
    from renshe.web.app import create_app

    browser = await _browser(create_app(), "440700", Role.CITY_ANALYST)
    try:
        page = await browser.get("/rollups", params=WINDOW)
        assert page.status_code == 200, page.text
        for view in ("district", "month", "program"):
            found = re.search(rf'id="chart-{view}"[^>]*data-chart-options="([^"]*)"', page.text)
            assert found, view
            options = json.loads(found.group(1).replace("&#34;", '"').replace("&amp;", "&"))
            assert options["series"] and options["xAxis"]["data"]
            assert f'id="table-{view}"' in page.text
        assert "台山市" in page.text and "鹤山市" in page.text
        assert 'src="/static/vendor/echarts/echarts.common.min.js' in page.text
        drill = await browser.get("/rollups", params={**WINDOW, "district": "440781"})
        assert drill.status_code == 200
        assert 'id="chart-district"' not in drill.text and "台山市" in drill.text
        export = await browser.get("/rollups/export", params={**WINDOW, "view": "district", "format": "csv"})
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        by_name = {r[0]: r for r in rows[1:]}
        assert by_name["台山市"][1] == "2" and by_name["台山市"][3] == "1000.00"  # applications, paid yuan
        xlsx = await browser.get("/rollups/export", params={**WINDOW, "view": "month", "format": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == ["2017-03", "2017-04"]
    finally:
        await browser.aclose()


async def test_a_district_sees_itself_only(history_2017: None) -> None:
    from renshe.web.app import create_app

    browser = await _browser(create_app(), "440781", Role.REVIEWER)
    try:
        page = await browser.get("/rollups", params={**WINDOW, "district": "440784"})
        assert page.status_code == 200
        assert 'id="chart-district"' not in page.text and "鹤山市" not in page.text
        assert 'name="district"' not in page.text
    finally:
        await browser.aclose()
