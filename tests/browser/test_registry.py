"""Registering a person in a real browser (Debian's Chromium via Playwright, the app under
uvicorn): one wrong field — a mistyped check character — is shown at that field in Chinese; the
clerk corrects it, adds a second document row with HTMX, and lands on the detail page with the
number masked. Screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the uvicorn fixture, shared with the shell journey


async def test_clerk_registers_a_person_after_fixing_a_wrong_check_character(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import PASSWORD, make_user
    from tests.registry.support import hkid, prc_id

    _, username, _ = await make_user("440703", Role.CLERK)
    number = prc_id("440703")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    csp_violations: list[str] = []

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
            page.on(
                "console",
                lambda msg: (
                    csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            await page.goto(server + "/login")
            await page.fill("#f-username", username)
            await page.fill("#f-password", PASSWORD)
            await page.click("form.login-form button[type=submit]")
            await page.wait_for_url(server + "/")
            # the registry is on the clerk's home page now
            await page.click("a.task-link[href='/registry/people']")
            await page.wait_for_url(server + "/registry/people")
            await page.click("a[href='/registry/people/new']")
            await page.wait_for_url(server + "/registry/people/new")

            await page.fill("#f-name", "陈美玲")
            await page.fill("#f-documents-0-number", wrong)
            await page.fill("#f-mobile", "13800138000")
            await page.click("#person-form button[type=submit].btn-primary")
            error = page.locator("#f-documents-0-number-msg")
            await error.wait_for()
            assert "校验码不符" in await error.inner_text()
            assert await page.get_attribute("#f-documents-0-number", "aria-invalid") == "true"
            assert await page.input_value("#f-name") == "陈美玲"  # nothing typed is lost
            await page.screenshot(path=str(ARTIFACTS / "registry-person-error.png"), full_page=True)

            # fix the number; add a second document row with HTMX, then take it away again
            await page.fill("#f-documents-0-number", number)
            await page.click("text=再添加一个证件")
            await page.locator("#documents > [id^=doc-]").nth(1).wait_for()
            await page.locator("#documents > [id^=doc-]").nth(1).locator("select").select_option("hkid")
            await page.locator("#documents > [id^=doc-]").nth(1).locator("input").fill(hkid())
            await page.locator("#documents > [id^=doc-]").nth(1).locator("button").click()
            await page.locator("#documents > [id^=doc-]").nth(1).wait_for(state="detached")
            await page.click("#person-form button[type=submit].btn-primary")
            await page.wait_for_url(re.compile(r"/registry/people/[0-9a-f-]{36}$"))
            main = await page.locator("main").inner_text()
            assert "人员已登记" in main
            assert number[:6] + "*" * 10 + number[-2:] in main and number not in main
            assert "陈*玲" in main and "陈美玲" not in main
            await page.screenshot(path=str(ARTIFACTS / "registry-person-detail.png"), full_page=True)
        finally:
            await browser.close()

    assert not csp_violations, csp_violations
