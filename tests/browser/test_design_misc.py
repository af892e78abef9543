"""The password, API documentation and error pages on the design system, in Chromium at a laptop
(1366×768) and a phone (390×844): no page scrolls sideways (long API paths wrap), the error page
shows its status and the request id, no CSP violation. Screenshots: ``test-artifacts/design-*.png``."""

from __future__ import annotations

import pytest

from tests.browser.test_design_admin import _fits, _sign_in
from tests.browser.test_shell import CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]


async def test_password_api_docs_and_error_pages_fit_the_screen(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import make_user

    _, clerk, _ = await make_user("440703", Role.CLERK)
    missing = "/registry/people/00000000-0000-0000-0000-000000000000"
    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
            await _sign_in(page, server, clerk, None)
            answer = await page.goto(server + missing)
            assert answer is not None and answer.status == 404
            text = await page.locator("#error-page").inner_text()
            assert "404" in text and (answer.headers.get("x-request-id") or "?") in text
            await _fits(
                page, server, {"password": "/account/password", "api-docs": "/docs/api", "error-404": missing}
            )
        finally:
            await browser.close()
    assert not csp, csp
