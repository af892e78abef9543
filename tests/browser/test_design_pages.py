"""The design system's reference pages in Chromium at a laptop (1366×768) and a phone (390×844):
no page scrolls sideways, the navigation folds into a menu button on the phone and opens from it,
no Content-Security-Policy violation. Screenshots go to ``test-artifacts/design-*.png``."""

from __future__ import annotations

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]

WIDTHS = {"wide": (1366, 768), "phone": (390, 844)}


async def test_reference_pages_fit_the_screen_at_both_widths(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import PASSWORD, make_user
    from tests.registry.support import prc_id

    _, username, _ = await make_user("440703", Role.CLERK)
    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for label, (width, height) in WIDTHS.items():
                page = await browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
                page.on(
                    "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
                )
                await page.goto(server + "/login")
                await page.screenshot(path=str(ARTIFACTS / f"design-login-{label}.png"), full_page=True)
                await page.fill("#f-username", username)
                await page.fill("#f-password", PASSWORD)
                await page.click("form.login-form button[type=submit]")
                await page.wait_for_url(server + "/")
                if label == "phone":
                    # The main navigation is folded away and opens from the menu button.
                    assert not await page.locator(".mainnav").is_visible()
                    await page.click("button[data-ui-toggle='navbar-menu']")
                    assert await page.locator(".mainnav a[href='/registry/people']").is_visible()
                    await page.click("button[data-ui-toggle='navbar-menu']")
                if label == "wide":
                    await page.goto(server + "/registry/people/new")
                    await page.fill("#f-name", "陈美玲")
                    await page.fill("#f-documents-0-number", prc_id("440703"))
                    await page.click("#person-form button[type=submit].btn-primary")
                    await page.wait_for_url(server + "/registry/people/*")
                pages = {
                    "home": "/",
                    "people": "/registry/people",
                    "person-new": "/registry/people/new",
                    "dashboard": "/dashboard",
                }
                await page.goto(server + "/registry/people")
                pages["person"] = await page.locator("#people tbody a").first.get_attribute("href") or ""
                for name, path in pages.items():
                    await page.goto(server + path)
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= width, f"{path} is {wide}px wide at {width}px"
                    await page.screenshot(path=str(ARTIFACTS / f"design-{name}-{label}.png"), full_page=True)
                await page.close()
        finally:
            await browser.close()
    assert not csp, csp
