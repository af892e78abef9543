"""The finance pages on the design system in Chromium at a laptop (1366×768) and a phone (390×844):
the batch list, a batch, its return files, the jobs list and a job never scroll sideways; the
approve dialog names the batch, backing out of it changes nothing and confirming approves (the
toolbar then offers the bank file, still on screen); "build now" asks first, then opens the job.
Screenshots go to ``test-artifacts/finance-*.png``."""

from __future__ import annotations

import pytest

from tests.browser.test_design_pages import WIDTHS
from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]


async def test_finance_pages_fit_the_screen_and_ask_before_acting(server: str, admin_url: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from tests.accounts.support import PASSWORD, make_user
    from tests.disbursement.test_pages import KAIPING, built_batch

    _, username, _ = await make_user(KAIPING, Role.FINANCE)
    batch_id, _apps = await built_batch(admin_url, 3)
    batch = f"/disbursement/batches/{batch_id}"
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
                await page.fill("#f-username", username)
                await page.fill("#f-password", PASSWORD)
                await page.click("form.login-form button[type=submit]")
                await page.wait_for_url(server + "/")

                # Approve asks first; backing out leaves the batch as it was.
                await page.goto(server + batch)
                await page.click("#confirm-approve-form button")
                question = page.locator("#confirm-approve-q")
                assert await question.is_visible()
                assert "共 3 笔" in await question.inner_text()
                await page.screenshot(path=str(ARTIFACTS / f"finance-approve-dialog-{label}.png"))
                await page.click("#confirm-approve button[value=cancel]")
                assert not await question.is_visible()
                assert await page.get_attribute("#batch-facts [data-state]", "data-state") == "built"

                if label == "wide":
                    # Build now: the dialog first, then the job page.
                    await page.goto(server + "/disbursement/batches")
                    await page.click("#confirm-build-form button")
                    assert await page.locator("#confirm-build-q").is_visible()
                    await page.click("#confirm-build button[value=confirm]")
                    await page.wait_for_url(server + "/jobs/*")
                    assert await page.locator("#job-progress").count() == 1

                await page.goto(server + "/jobs")
                job = await page.locator("#jobs tbody a").first.get_attribute("href") or ""
                pages = {
                    "batches": "/disbursement/batches",
                    "batch": batch,
                    "returns": batch + "/returns",
                    "jobs": "/jobs",
                    "job": job,
                }
                for name, path in pages.items():
                    await page.goto(server + path)
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= width, f"{path} is {wide}px wide at {width}px"
                    await page.screenshot(path=str(ARTIFACTS / f"finance-{name}-{label}.png"), full_page=True)
                if label == "phone":
                    # Approved through the dialog: the toolbar now offers the bank file, still on screen.
                    await page.goto(server + batch)
                    await page.click("#confirm-approve-form button")
                    async with page.expect_navigation():
                        await page.click("#confirm-approve button[value=confirm]")
                    assert await page.get_attribute("#batch-facts [data-state]", "data-state") == "approved"
                    assert await page.locator("#f-choice").is_visible()
                    wide = await page.evaluate("document.documentElement.scrollWidth")
                    assert wide <= width, f"the approved batch is {wide}px wide at {width}px"
                    shot = ARTIFACTS / "finance-batch-approved-phone.png"
                    await page.screenshot(path=str(shot), full_page=True)
                await page.close()
        finally:
            await browser.close()
    assert not csp, csp
