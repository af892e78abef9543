"""The talent-card pages in Debian's Chromium: the card's image loads under the page's CSP; revoking
asks in a dialog naming the card number, cancelling sends nothing, confirming revokes it and the
message shows once; the pages of the group fit a laptop and a 390 px phone. Screenshots go to
``test-artifacts/talent-*.png``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]

WIDTHS = {"wide": (1366, 768), "phone": (390, 844)}

if TYPE_CHECKING:
    from playwright.async_api import Page


async def fit_at_both_widths(page: Page, server: str, paths: dict[str, str]) -> None:
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        for name, path in paths.items():
            answer = await page.goto(server + path)
            assert answer is not None and answer.ok, path
            wide = await page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{path} is {wide}px wide at {width}px"
            await page.screenshot(path=str(ARTIFACTS / f"talent-{name}-{label}.png"), full_page=True)


async def test_card_page_image_revoke_dialog_and_widths(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe import clock
    from renshe.accounts.principal import Role
    from renshe.db.tenant import TenantContext, tenant_transaction
    from renshe.subsidies.programs.sync import sync_catalogue
    from renshe.talent import applications, cards, issuance
    from tests.accounts.support import make_user
    from tests.browser.money import signed_in
    from tests.registry.support import unit_id
    from tests.talent.support import PENGJIANG, approved, evidence, parties, staff

    await sync_catalogue()
    tenant = await unit_id(PENGJIANG)
    granted = await approved()
    done = await issuance.issue_in_own_transaction(
        tenant, granted["id"], clock.today(), await issuance.signer_for_run()
    )
    assert done is not None
    clerk, _ = await staff()
    person_id, employer_id = await parties()
    waiting = await applications.create(clerk, evidence(person_id, employer_id))
    _, clerk_name, _ = await make_user(PENGJIANG, Role.CLERK)
    _, reviewer_name, _ = await make_user(PENGJIANG, Role.REVIEWER)
    path = f"/talent/cards/{done.card_no}"
    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = await signed_in(browser, server, clerk_name, csp)
            await page.goto(server + path)
            loaded = await page.evaluate(
                "() => { const i = document.getElementById('card-image');"
                " return i.complete && i.naturalWidth; }"
            )
            assert loaded and loaded > 500  # a 300 dpi card is about 1000 px wide

            revoke = page.locator("form[data-ui-confirm='confirm-revoke'] button[type=submit]")
            dialog = page.locator("dialog#confirm-revoke")
            await page.fill("#f-revoke-reason", "提供虚假材料")
            await revoke.click()
            assert await dialog.is_visible() and done.card_no in await dialog.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "talent-confirm-revoke.png"))
            await dialog.locator("button[value=cancel]").click()
            await page.wait_for_timeout(300)
            assert page.url == server + path
            async with tenant_transaction(TenantContext.district(tenant)):
                assert (await cards.load(tenant, done.card_no))["state"] == "active"

            await fit_at_both_widths(page, server, {
                "card": path, "cards": "/talent/cards", "reminders": "/talent/reminders",
                "applications": "/talent/applications",
                "application": f"/talent/applications/{waiting['id']}",
                "new": f"/talent/applications/new?person_id={person_id}",
            })  # fmt: skip
            await page.set_viewport_size({"width": 1366, "height": 768})
            await page.goto(server + path)
            await page.fill("#f-revoke-reason", "提供虚假材料")
            await revoke.click()
            async with page.expect_navigation():
                await dialog.locator("button[value=confirm]").click()
            assert await page.locator("#card-state [data-state=revoked]").count() == 1
            assert await page.locator("[data-flash=success]").count() == 1
            await page.reload()
            assert await page.locator("[data-flash]").count() == 0

            review = await signed_in(browser, server, reviewer_name, csp)
            await fit_at_both_widths(review, server, {"review-queue": "/talent/review"})
        finally:
            await browser.close()
    assert not csp, csp
