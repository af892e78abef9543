"""The card check on a phone in Debian's Chromium (issue 10 §5): the QR's URL opens a page that says
"valid"; then the network goes off (Playwright ``context.set_offline``) and the same page checks a
valid, a revoked and a forged card correctly from the keys and lists it carries — and breaks no
Content-Security-Policy rule. The screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, server

pytestmark = pytest.mark.browser
__all__ = ["server"]
PHONE = {"width": 390, "height": 844}


async def test_the_check_page_verifies_cards_with_the_network_off(server: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from playwright.async_api import async_playwright

    from renshe import clock
    from renshe.accounts.principal import Role
    from renshe.subsidies.programs.sync import sync_catalogue
    from renshe.talent import cards, issuance, publishing, tokens
    from tests.registry.support import unit_id
    from tests.subsidies.applications_support import caller
    from tests.talent.support import PENGJIANG, approved

    await sync_catalogue()
    tenant = await unit_id(PENGJIANG)
    signer = await issuance.signer_for_run()
    issued = []
    for name in ("欧阳小明", "司徒家慧"):
        row = await approved(name=name)
        done = await issuance.issue_in_own_transaction(tenant, row["id"], clock.today(), signer)
        assert done is not None
        issued.append(done.card_no)
    valid_no, revoked_no = issued
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    revoked = await cards.revoke(reviewer, revoked_no, "已离开本市")
    await publishing.publish_in_own_transaction(tenant)
    valid = (await cards.get(reviewer, valid_no))[0]["token"]
    claims, _, _ = tokens.read_unverified(valid)
    forged = tokens.sign(claims, Ed25519PrivateKey.generate())

    csp: list[str] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport=PHONE, locale="zh-CN")
            page = await context.new_page()
            page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
            await page.goto(f"{server}/verify/{valid}")
            verdict = page.locator("#verdict")
            assert await verdict.get_attribute("data-verdict") == "valid"
            assert "有效" in await verdict.inner_text() and "欧阳*明" in await verdict.inner_text()
            await page.screenshot(path=str(ARTIFACTS / "verify-valid-phone.png"), full_page=True)

            await context.set_offline(True)
            for token, expected in (
                (revoked["token"], "revoked"),
                (valid, "valid"),
                (forged, "bad_signature"),
                (f"{server}/verify/{revoked['token']}", "revoked"),  # the whole URL, pasted
            ):
                await page.fill("#verify-token", token)
                await page.click("#verify-another button[type=submit]")
                await page.wait_for_function(
                    "expected => document.querySelector('#verdict').dataset.verdict === expected",
                    arg=expected,
                )
                assert "离线" in await verdict.inner_text()  # said to be checked on the device
            await page.fill("#verify-token", revoked["token"])
            await page.click("#verify-another button[type=submit]")
            await page.wait_for_function("document.querySelector('#verdict').dataset.verdict === 'revoked'")
            await page.screenshot(path=str(ARTIFACTS / "verify-revoked-offline-phone.png"), full_page=True)
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], "the page scrolls sideways on a phone"
        finally:
            await browser.close()
    assert not csp, csp
