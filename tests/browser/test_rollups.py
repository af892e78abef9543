"""The rollups page in Debian's Chromium, as the city analyst uses it: the charts are drawn (a
canvas in each, under the page's CSP, no console error), a filter changes the view, a district is
drilled into, a table is exported; a district's dashboard draws the same for itself. Screenshots go
to ``test-artifacts/rollups-*.png`` and ``dashboard-district.png``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server
from tests.rollups.conftest import history_2017

pytestmark = pytest.mark.browser
__all__ = ["history_2017", "server"]


@asynccontextmanager
async def _page_of(server: str, code: str, role: Any) -> AsyncIterator[Any]:
    """A wide page signed in as a new user of ``code``; once done, no CSP violation and no
    console error may have happened."""
    from playwright.async_api import async_playwright

    from tests.accounts.support import make_user
    from tests.browser.money import signed_in

    _, user, _ = await make_user(code, role)
    csp: list[str] = []
    errors: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await signed_in(browser, server, user, csp)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.set_viewport_size({"width": 1366, "height": 900})
            yield page
        finally:
            await browser.close()
    assert not csp, csp
    assert not errors, errors


async def _charts_drawn(page: Any, *views: str) -> None:
    for view in views:
        box = page.locator(f"#chart-{view}")
        await box.locator("canvas").first.wait_for(timeout=10_000)
        assert await box.get_attribute("data-chart-drawn") == "true", view


async def test_the_analyst_reads_charts_filters_drills_down_and_exports(
    server: str, history_2017: None
) -> None:
    from renshe.accounts.principal import Role

    async with _page_of(server, "440700", Role.CITY_ANALYST) as page:
        await page.goto(server + "/rollups?from=2017-03&to=2017-04")
        await _charts_drawn(page, "district", "month", "program")
        await page.screenshot(path=str(ARTIFACTS / "rollups-city.png"), full_page=True)

        await page.select_option("#filter-family", "employment")  # a filter
        await page.click("form.card button[type=submit]")
        await page.wait_for_url("**/rollups?*family=employment*")
        taishan = page.locator("#table-district a", has_text="台山市")
        assert await taishan.count() == 1
        await taishan.click()  # drill down: the city → Taishan
        await page.wait_for_url("**district=440781**")
        assert await page.locator("#chart-district").count() == 0
        await page.locator("#chart-month canvas").first.wait_for(timeout=10_000)
        await page.screenshot(path=str(ARTIFACTS / "rollups-district.png"), full_page=True)

        async with page.expect_download() as download:
            await page.locator("#view-month a", has_text="CSV").click()
        saved = await (await download.value).path()
        assert "2017-04" in saved.read_text(encoding="utf-8-sig")


async def test_the_district_dashboard_draws_its_figures_beside_the_queues(
    server: str, history_2017: None
) -> None:
    """The same pieces for one district (Taishan's reviewer): queues, the headline, the charts by
    month and by program, the states and today's stocks — drawn, under the CSP, without errors."""
    from renshe.accounts.principal import Role

    async with _page_of(server, "440781", Role.REVIEWER) as page:
        await page.goto(server + "/dashboard?from=2017-03&to=2017-04")
        assert await page.locator("[data-queue]").count() > 0
        await _charts_drawn(page, "month", "program")
        assert await page.locator("#table-states tr[data-state]").count() > 0
        assert await page.locator("#table-budgets").count() == 1
        await page.screenshot(path=str(ARTIFACTS / "dashboard-district.png"), full_page=True)
