"""The enterprise, import and document-search pages on the design system, in Chromium at a laptop
(1366×768) and a phone (390×844): no page scrolls sideways, no CSP violation, and confirming an
import asks first in a dialog that names the import number and the rows (Cancel imports nothing).
Screenshots go to ``test-artifacts/design-*.png``."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_design_pages import WIDTHS
from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]


async def test_registry_pages_fit_and_an_import_is_confirmed_in_a_dialog(server: str) -> None:
    from uuid import UUID

    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import PASSWORD, make_user
    from tests.registry.import_support import batch_row, csv_bytes, person_row, validate
    from tests.registry.support import credit_code, prc_id, unit_id

    _, username, _ = await make_user("440703", Role.CLERK)
    tenant = await unit_id("440703")
    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            pages: dict[str, str] = {}
            for label, (width, height) in WIDTHS.items():
                page = await browser.new_page(viewport={"width": width, "height": height}, locale="zh-CN")
                page.on(
                    "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
                )
                await page.goto(server + "/login")
                await page.fill("#f-username", username)
                await page.fill("#f-password", PASSWORD)
                await page.click("form.login-form button[type=submit]")
                await page.wait_for_url(server + "/")
                if label == "wide":
                    await page.goto(server + "/registry/enterprises/new")
                    await page.fill("#f-name", "江门市界面测试有限公司")
                    await page.fill("#f-uscc", credit_code("440703"))
                    await page.fill("#f-legal_representative", "李大明")
                    await page.click("#enterprise-form button[type=submit].btn-primary")
                    await page.wait_for_url(re.compile(r".*/registry/enterprises/[0-9a-f-]{36}$"))
                    pages["enterprise"] = page.url.removeprefix(server)
                    pages["enterprise-edit"] = pages["enterprise"] + "/edit"

                    await page.goto(server + "/registry/imports")
                    content = csv_bytes([person_row("陈美玲", "居民身份证", prc_id("440703"))])
                    await page.set_input_files(
                        "#f-file", files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": content}]
                    )
                    await page.click("#import-form button[type=submit].btn-primary")
                    await page.wait_for_url(re.compile(r".*/registry/imports/[0-9a-f-]{36}$"))
                    pages["import"] = page.url.removeprefix(server)
                    batch_id = UUID(pages["import"].rsplit("/", 1)[1])
                    number = (await validate(tenant, batch_id))["number"]
                    await page.reload()

                    # Confirm opens a dialog naming the import and its rows; Cancel sends nothing.
                    await page.click("form[data-ui-confirm='confirm-import'] button[type=submit]")
                    dialog = page.locator("dialog#confirm-import")
                    assert await dialog.is_visible()
                    question = await dialog.inner_text()
                    assert number in question and "1 行" in question
                    await page.screenshot(path=str(ARTIFACTS / "design-import-confirm.png"))
                    await dialog.locator("button[value=cancel]").click()
                    assert not await dialog.is_visible()
                    assert (await batch_row(batch_id))["status"] == "valid"
                    await page.click("form[data-ui-confirm='confirm-import'] button[type=submit]")
                    # the confirmed form posts and the page comes back: wait for that answer itself
                    # ("network idle" can come before the post is sent on a busy machine)
                    async with page.expect_response(lambda r: r.request.method == "POST"):
                        await dialog.locator("button[value=confirm]").click()
                    await page.wait_for_load_state("networkidle")
                    assert (await batch_row(batch_id))["status"] != "valid"
                pages |= {
                    "enterprises": "/registry/enterprises",
                    "enterprise-new": "/registry/enterprises/new",
                    "imports": "/registry/imports",
                    "person-search": "/registry/people/search",
                }
                for name, path in pages.items():
                    await page.goto(server + path)
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= width, f"{path} is {wide}px wide at {width}px"
                    await page.screenshot(path=str(ARTIFACTS / f"design-{name}-{label}.png"), full_page=True)
                await page.close()
        finally:
            await browser.close()
    assert not csp, csp
