"""Cancelling a job in Chromium: the button opens a dialog naming the job; while it is open the job
page's progress, refreshed every 2 s, waits (a refresh would replace the dialog and the user's
answer with it); backing out changes nothing and the refresh resumes; confirming cancels."""

from __future__ import annotations

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]

POLL_MS = 2000  # renshe.jobs.controllers.POLL_SECONDS


async def test_the_cancel_dialog_survives_the_progress_refresh(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from renshe.db.tenant import TenantContext, tenant_transaction
    from renshe.jobs import service
    from tests.accounts.support import PASSWORD, make_user
    from tests.jobs.support import key, load_job, unit_id

    user_id, username, _ = await make_user("440703", Role.CLERK)
    tenant = await unit_id("440703")
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue("audit.verify_chain", tenant, {}, key(), requested_by=user_id, total=1)
    refreshes: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale="zh-CN")
            page.on("request", lambda r: refreshes.append(r.url) if r.url.endswith("/progress") else None)
            await page.goto(server + "/login")
            await page.fill("#f-username", username)
            await page.fill("#f-password", PASSWORD)
            await page.click("form.login-form button[type=submit]")
            await page.wait_for_url(server + "/")

            await page.goto(f"{server}/jobs/{job.id}")
            async with page.expect_request(lambda r: r.url.endswith("/progress"), timeout=3 * POLL_MS):
                pass  # the page refreshes its progress while the job waits
            await page.click("#confirm-cancel-job-form button")
            dialog = page.locator("dialog#confirm-cancel-job")
            assert await dialog.is_visible()
            assert "审计链校验" in await page.locator("#confirm-cancel-job-q").inner_text()
            await page.screenshot(path=str(ARTIFACTS / "job-cancel-dialog-phone.png"))
            seen = len(refreshes)
            await page.wait_for_timeout(3 * POLL_MS)  # three refreshes would have come by now
            assert len(refreshes) == seen, "the page refreshed under the open dialog"
            assert await dialog.is_visible()

            # backing out: nothing changes, and the page refreshes again
            async with page.expect_request(lambda r: r.url.endswith("/progress"), timeout=3 * POLL_MS):
                await dialog.locator("button[value=cancel]").click()
            assert not await dialog.is_visible()
            assert (await load_job(tenant, job.id)).status == "queued"

            await page.click("#confirm-cancel-job-form button")
            async with page.expect_navigation():
                await page.locator("dialog#confirm-cancel-job button[value=confirm]").click()
            assert await page.get_attribute("#job-progress", "data-status") == "cancelled"
            assert "任务已取消" in await page.locator("#flashes").inner_text()
            assert (await load_job(tenant, job.id)).status == "cancelled"
        finally:
            await browser.close()
