"""The rollups page: headline figures, a chart and a table per view, drill-down and exports; a
district sees itself only; no page names a person."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any

import asyncpg
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
        # the tiles: one per district with its payments and its share of the city's
        tiles = dict(re.findall(r'data-district="(\d{6})" data-paid-fen="(\d+)"', page.text))
        assert len(tiles) == 7 and tiles["440781"] == "100000"
        city_paid = sum(int(v) for v in tiles.values())
        share = re.search(r'id="share-440781" min="0" max="1" value="([\d.]+)"', page.text)
        assert share and abs(float(share.group(1)) - 100000 / city_paid) < 1e-4
        assert 'src="/static/vendor/echarts/echarts.common.min.js' in page.text
        drill = await browser.get("/rollups", params={**WINDOW, "district": "440781"})
        assert drill.status_code == 200
        assert 'id="chart-district"' not in drill.text and "台山市" in drill.text
        assert 'id="district-tiles"' not in drill.text
        export = await browser.get("/rollups/export", params={**WINDOW, "view": "district", "format": "csv"})
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        by_name = {r[0]: r for r in rows[1:]}
        assert by_name["台山市"][1] == "2" and by_name["台山市"][3] == "1000.00"  # applications, paid yuan
        xlsx = await browser.get("/rollups/export", params={**WINDOW, "view": "month", "format": "xlsx"})
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        assert [sheet.cell(r, 1).value for r in range(2, sheet.max_row + 1)] == ["2017-03", "2017-04"]
        # the figures are numbers a statistician can sum: counts and yuan
        assert isinstance(sheet.cell(2, 2).value, int) and sheet.cell(2, 4).number_format == "#,##0.00"
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


async def test_todays_stocks_are_the_budgets_and_cards_of_the_districts_shown(
    admin_url: str, db: None
) -> None:
    """Budget used and left per program, and cards expiring within 30 days: read live, summed over
    the city's districts, then one district's when drilled into."""
    from renshe import clock
    from renshe.talent.listing import expiring_by
    from renshe.web.app import create_app
    from tests.security.tenant_rows import FACTORIES

    year = 2016  # no other test has budgets for 2016
    conn = await asyncpg.connect(admin_url)
    try:
        units = dict(await conn.fetch("SELECT code, id FROM org_units WHERE code IN ('440703', '440783')"))
        for code, total, paid, reserved in (("440703", 900_000, 100_000, 50_000), ("440783", 500_000, 0, 0)):
            budget = await FACTORIES["budgets"](conn, units[code])
            await conn.execute(
                """UPDATE budgets SET year = $2, total_fen = $3, paid_fen = $4, reserved_fen = $5
                   WHERE id = $1""",
                budget, year, total, paid, reserved,
            )  # fmt: skip
        card = await FACTORIES["talent_cards"](conn, units["440783"])
        await conn.execute(
            "UPDATE talent_cards SET valid_until = $2 WHERE id = $1",
            card, clock.today() + timedelta(days=10),
        )  # fmt: skip

        async def expected(code: str | None) -> tuple[dict[str, int], int]:
            scope = "TRUE" if code is None else "u.code = $3"
            args: list[Any] = [year, expiring_by(clock.today()), *([code] if code else [])]
            left = await conn.fetch(
                f"""SELECT program_code, sum(total_fen - paid_fen - reserved_fen)::bigint AS left_fen
                    FROM budgets b JOIN org_units u ON u.id = b.tenant_id
                    WHERE b.year = $1 AND $2::date IS NOT NULL AND {scope} GROUP BY 1""",
                *args,
            )
            cards = await conn.fetchval(
                f"""SELECT count(*) FROM talent_cards c JOIN org_units u ON u.id = c.tenant_id
                    WHERE $1::int IS NOT NULL AND c.state = 'active' AND c.valid_until <= $2 AND {scope}""",
                *args,
            )
            return {r["program_code"]: r["left_fen"] for r in left}, cards

        city, one = await expected(None), await expected("440703")
        others = await expected("440783")
    finally:
        await conn.close()
    # the control: the city's figures are not the one district's (the card planted in 440783 is
    # the city's, not 440703's, whatever other tests left in either)
    assert len(city[0]) >= 2 and others[1] >= 1 and city[1] >= one[1] + others[1] > one[1]

    browser = await _browser(create_app(), "440700", Role.CITY_ANALYST)
    try:
        for params, (budgets, cards) in (({}, city), ({"district": "440703"}, one)):
            period = {"from": f"{year}-01", "to": f"{year}-12", **params}
            page = (await browser.get("/rollups", params=period)).text
            shown = dict(re.findall(r'data-program="([a-z_0-9]+)" data-left-fen="(-?\d+)"', page))
            assert {k: int(v) for k, v in shown.items()} == budgets
            assert f'data-cards-expiring="{cards}"' in page
            assert f'data-program="" data-left-fen="{sum(budgets.values())}"' in page  # the total row
    finally:
        await browser.aclose()


def test_the_targets_chart_compares_each_target_in_per_cent() -> None:
    """Targets count different things (youth, yuan): the chart shows achieved and projected as
    shares of each target; a district's targets are the sum of its shares; none set, no chart."""
    from renshe.rollups.views import target_chart

    progress = {
        "metrics": [
            {"label": "登记", "target": 200, "actual": 50, "projection": 210, "districts": []},
            {"label": "发放", "target": None, "actual": 30, "projection": 90,
             "districts": [{"target": 40}, {"target": 60}]},
            {"label": "无目标", "target": None, "actual": 5, "projection": 9,
             "districts": [{"target": None}]},
        ]
    }  # fmt: skip
    options = target_chart(progress)
    assert options is not None
    assert options["yAxis"]["data"] == ["登记", "发放"]
    assert [s["data"] for s in options["series"]] == [[25.0, 30.0], [105.0, 90.0]]
    assert options["xAxis"]["max"] == 105.0
    assert target_chart({"metrics": [progress["metrics"][2]]}) is None
