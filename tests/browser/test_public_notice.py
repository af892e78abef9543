"""The public notice page on a phone (390×844) in Debian's Chromium: a citizen reads it without
scrolling sideways, sees each award, the objection contact and the public footer, and the page
breaks no Content-Security-Policy rule. The screenshot goes to ``test-artifacts/``."""

from __future__ import annotations

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the uvicorn fixture, shared with the shell journey
PHONE = {"width": 390, "height": 844}


async def test_the_public_notice_reads_on_a_phone(server: str, admin_url: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.subsidies.applications.store import today
    from tests.subsidies.applications_support import (
        PENGJIANG,
        STARTUP,
        STARTUP_FEN,
        award_in_notice,
        budget_room,
    )

    await budget_room(admin_url, PENGJIANG, STARTUP, today().year, 5 * STARTUP_FEN)
    await award_in_notice("司徒家慧")
    csp_violations: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True)
            page.on(
                "console",
                lambda msg: (
                    csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            await page.goto(f"{server}/public/{PENGJIANG}/notices")
            assert "补贴发放公示" in await page.locator("h1").inner_text()
            assert await page.locator("#notices article").count() >= 1
            assert "司徒*慧" in await page.locator("#notices").inner_text()
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= PHONE["width"], f"the page is {wide} px wide on a {PHONE['width']} px screen"
            contact = await page.locator("#objections address").inner_text()
            assert "0750-3506123" in contact
            assert "12333" in await page.locator("footer").inner_text()
            # styled by its own stylesheet: the cards are boxes, not bare list items
            card = page.locator("#notices article").first
            assert await card.evaluate("e => getComputedStyle(e).borderTopStyle") == "solid"
            await page.screenshot(path=str(ARTIFACTS / "public-notice-phone.png"), full_page=True)
        finally:
            await browser.close()
    assert not csp_violations, csp_violations
