"""The reviewer's approval through the confirm dialog (ui/feedback.html confirm_button + app.js) in
Debian's Chromium: the dialog names the application number and the amount; cancelling it (button
or Escape) sends nothing; confirming approves the application and the flash message shows once
(not again on reload). The application pages of the group also fit a 390 px phone. Screenshots go
to ``test-artifacts/subsidies-*.png``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the uvicorn fixture, shared with the shell journey

WIDTHS = {"wide": (1366, 768), "phone": (390, 844)}

if TYPE_CHECKING:
    from playwright.async_api import Page


async def fit_at_both_widths(page: Page, server: str, paths: dict[str, str]) -> None:
    """Each page no wider than the viewport at a laptop's and a phone's width; screenshots."""
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        for name, path in paths.items():
            await page.goto(server + path)
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide}px wide at {width}px"
            await page.screenshot(path=str(ARTIFACTS / f"subsidies-{name}-{label}.png"), full_page=True)


async def test_reviewer_approves_only_after_confirming(server: str, admin_url: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from renshe.subsidies.applications import service
    from renshe.subsidies.applications.store import today
    from tests.accounts.support import make_user
    from tests.browser.money import signed_in
    from tests.subsidies.applications_support import PENGJIANG, STARTUP, STARTUP_FEN, budget_room, caller
    from tests.subsidies.pages_support import draft, row

    await budget_room(admin_url, PENGJIANG, STARTUP, today().year, 5 * STARTUP_FEN)
    clerk = await caller(PENGJIANG, Role.CLERK)
    made = await draft(PENGJIANG, clerk=clerk)
    sent = await service.submit(clerk, made["id"], made["version"])
    _, reviewer_name, _ = await make_user(PENGJIANG, Role.REVIEWER)
    _, clerk_name, _ = await make_user(PENGJIANG, Role.CLERK)
    review = f"{server}/subsidies/review/{sent['id']}"
    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await signed_in(browser, server, reviewer_name, csp)
            await page.goto(review)
            approve = page.locator("#decision form[data-ui-confirm='confirm-approve'] button[type=submit]")
            dialog = page.locator("dialog#confirm-approve")
            assert not await dialog.is_visible()

            # Cancel: the dialog names the number and the amount; nothing is sent.
            await page.fill("#f-approve-comment", "材料齐全")
            await approve.click()
            assert await dialog.is_visible()
            question = await dialog.inner_text()
            assert sent["number"] in question and "¥10,000.00" in question
            await page.screenshot(path=str(ARTIFACTS / "subsidies-confirm-approve.png"))
            await dialog.locator("button[value=cancel]").click()
            assert not await dialog.is_visible()
            # Escape closes it the same way.
            await approve.click()
            assert await dialog.is_visible()
            await page.keyboard.press("Escape")
            assert not await dialog.is_visible()
            await page.wait_for_timeout(300)  # a form sent by mistake would have navigated by now
            assert page.url == review
            assert (await row(sent["id"]))["state"] == "submitted"

            # Confirm: approved → public notice, the flash message once.
            await approve.click()
            async with page.expect_navigation():
                await dialog.locator("button[value=confirm]").click()
            assert page.url == review
            assert await page.inner_text("#state") == "公示中"
            assert (await row(sent["id"]))["state"] == "in_notice"
            assert await page.locator("[data-flash=success]").count() == 1
            assert not await page.locator("#decision").count()  # no second decision offered
            await page.reload()
            assert await page.locator("[data-flash]").count() == 0

            # The group's pages fit the screen at both widths.
            await fit_at_both_widths(page, server, {
                "list": "/subsidies/applications",
                "queue": "/subsidies/review",
                "review": f"/subsidies/review/{sent['id']}",
                "detail": f"/subsidies/applications/{sent['id']}",
            })  # fmt: skip
            # The clerk's new-application form, both steps.
            entry = await signed_in(browser, server, clerk_name, csp)
            facts = f"/subsidies/applications/new?person_id={made['person_id']}&program={STARTUP}"
            await fit_at_both_widths(
                entry,
                server,
                {
                    "new": "/subsidies/applications/new",
                    "new-facts": facts,
                    "detail-clerk": f"/subsidies/applications/{sent['id']}",
                },
            )
        finally:
            await browser.close()
    assert not csp, csp
