"""The web shell in a real browser: Debian's Chromium driven by Playwright against the app served
by uvicorn exactly as in production (a separate process, real PostgreSQL and Redis).

Journey: the login page in Chinese → switch to English and back → sign in as a district clerk →
the clerk's home page → HTMX is configured, sends the CSRF header and shows errors in place →
no Content-Security-Policy violation anywhere → sign out. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import live_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("/usr/bin/chromium is missing; CI must run the browser tests")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(db: None) -> Iterator[str]:
    """The app under uvicorn in a subprocess, with the test session's environment."""
    _require_chromium()
    ARTIFACTS.mkdir(exist_ok=True)
    with live_server(ARTIFACTS / "browser-server.log") as base:
        yield base


async def test_language_switch_login_and_home(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import PASSWORD, make_user

    _, username, _ = await make_user("440703", Role.CLERK)
    csp_violations: list[str] = []

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            page.on(
                "console",
                lambda msg: (
                    csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )

            # The login page, Chinese first.
            await page.goto(server + "/login")
            assert await page.get_attribute("html", "lang") == "zh-CN"
            assert await page.locator("h1").inner_text() == "登录"
            await page.screenshot(path=str(ARTIFACTS / "login-zh.png"), full_page=True)

            # English, and back.
            await page.click("text=English")
            await page.wait_for_url(server + "/login")
            assert await page.get_attribute("html", "lang") == "en"
            assert await page.locator("h1").inner_text() == "Sign in"
            await page.screenshot(path=str(ARTIFACTS / "login-en.png"), full_page=True)
            await page.click("text=中文")
            await page.wait_for_url(server + "/login")
            assert await page.locator("h1").inner_text() == "登录"

            # Sign in as the clerk: the clerk's home page.
            await page.fill("#f-username", username)
            await page.fill("#f-password", PASSWORD)
            await page.click("form.login-form button[type=submit]")
            await page.wait_for_url(server + "/")
            body = await page.locator("main").inner_text()
            assert "您现在可以办理" in body
            assert "测试用户" in await page.locator(".whoami").inner_text()
            # The roles and the log-out button are in the user menu, opened from the name.
            await page.click("button[data-ui-toggle='user-menu']")
            assert "经办员" in await page.locator("#user-menu").inner_text()
            assert await page.locator("#user-menu button:has-text('退出登录')").is_visible()
            await page.keyboard.press("Escape")
            assert "后台任务" in body
            await page.screenshot(path=str(ARTIFACTS / "home-clerk.png"), full_page=True)

            # HTMX: loaded from /static, configured by the meta tag (no inline script) ...
            assert await page.evaluate("typeof htmx") == "object"
            assert await page.evaluate("htmx.config.includeIndicatorStyles") is False
            assert await page.evaluate("htmx.config.allowEval") is False
            # ... sends the CSRF token on its requests ...
            token = await page.get_attribute('meta[name="csrf-token"]', "content")
            async with page.expect_request("**/healthz") as sent:
                await page.evaluate("htmx.ajax('GET', '/healthz', {source: document.body, swap: 'none'})")
            assert (await sent.value).headers.get("x-csrf-token") == token
            # ... and an error answer lands in the layout's error region, in Chinese.
            await page.evaluate("htmx.ajax('GET', '/no/such/page', {source: document.body})")
            await page.locator("#htmx-error .alert").wait_for()
            assert "页面不存在" in await page.locator("#htmx-error").inner_text()
            await page.screenshot(path=str(ARTIFACTS / "home-htmx-error.png"), full_page=True)

            # The home page in English keeps the user signed in.
            await page.click("text=English")
            await page.wait_for_url(server + "/")
            assert "What you can do now" in await page.locator("main").inner_text()
            await page.click("button[data-ui-toggle='user-menu']")
            assert "Clerk" in await page.locator("#user-menu").inner_text()
            await page.keyboard.press("Escape")
            await page.screenshot(path=str(ARTIFACTS / "home-clerk-en.png"), full_page=True)

            # Sign out (a POST form with the CSRF field) leads back to the login page.
            await page.click("button[data-ui-toggle='user-menu']")
            await page.click("form.logout button")
            await page.wait_for_url("**/login**")
            assert await page.locator("h1").inner_text() == "Sign in"
        finally:
            await browser.close()

    assert not csp_violations, csp_violations
