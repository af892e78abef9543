"""The user administration and audit pages on the design system, in Chromium at a laptop
(1366×768) and a phone (390×844): no page scrolls sideways, no CSP violation, and deactivating a
user asks first in a dialog that names the user (Cancel changes nothing). Screenshots go to
``test-artifacts/design-*.png``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.test_design_pages import WIDTHS
from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]

if TYPE_CHECKING:
    from playwright.async_api import Page


async def _sign_in(page: Page, server: str, username: str, totp: str | None) -> None:
    from tests.accounts.support import PASSWORD

    await page.goto(server + "/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    if totp:
        await page.fill("#f-totp", totp)
    await page.click("form.login-form button[type=submit]")
    await page.wait_for_url(server + "/")


async def _fits(page: Page, server: str, pages: dict[str, str]) -> None:
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            await page.goto(server + path)
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide}px wide at {width}px"
            await page.screenshot(path=str(ARTIFACTS / f"design-{name}-{label}.png"), full_page=True)


async def test_admin_and_audit_pages_fit_and_deactivation_asks_first(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import code_at, make_user

    _, admin, admin_key = await make_user("440703", Role.DISTRICT_ADMIN)
    clerk_id, clerk, _ = await make_user("440703", Role.CLERK)
    _, auditor, auditor_key = await make_user("440700", Role.AUDITOR)
    assert admin_key and auditor_key
    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
            await _sign_in(page, server, admin, code_at(admin_key))
            user_page = f"/admin/users/{clerk_id}"
            await page.goto(server + user_page)
            await page.click(f"form[action='{user_page}/deactivate'] button[type=submit]")
            dialog = page.locator(f"dialog#confirm-admin-users-{clerk_id}-deactivate")
            assert await dialog.is_visible()
            assert clerk in await dialog.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "design-user-deactivate-confirm.png"))
            await dialog.locator("button[value=cancel]").click()
            await page.reload()
            assert await page.locator("#user-facts [data-state=active]").count() == 1
            await _fits(
                page, server, {"users": "/admin/users", "user-new": "/admin/users/new", "user": user_page}
            )

            await page.set_viewport_size({"width": 1366, "height": 768})
            await page.goto(server + user_page)
            await page.click(f"form[action='{user_page}/reset-password'] button[type=submit]")
            await page.locator(
                f"dialog#confirm-admin-users-{clerk_id}-reset-password button[value=confirm]"
            ).click()
            await page.locator("code.secret").first.wait_for()
            await page.screenshot(path=str(ARTIFACTS / "design-issued-wide.png"), full_page=True)
            await page.context.clear_cookies()

            await _sign_in(page, server, auditor, code_at(auditor_key))
            await _fits(page, server, {"audit": "/audit"})
        finally:
            await browser.close()
    assert not csp, csp
