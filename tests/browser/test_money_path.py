"""The money path in a real browser (issue point 12): Debian's Chromium via Playwright, in
Chinese, against the app under uvicorn with a real ``renshe worker`` running the nightly jobs.

A clerk of 台山 (440781) enters two start-up grants (一次性创业资助) through the pages and submits
them; a reviewer approves both → public notice. The clock moves: ``renshe nightly`` for the first
business date after the notice closes the notices and builds the district's batch. Finance approves
it, downloads the bank file (its SHA-256 is the one the page shows) and uploads the bank's return:
one paid, one failed (户名不符). The clerk corrects the person's account in the registry and takes
it over on the award; the next night's batch pays it, and the award's timeline shows both attempts.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from tests.browser.test_shell import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, server

if TYPE_CHECKING:
    from playwright.async_api import FilePayload, Page

pytestmark = pytest.mark.browser
__all__ = ["server"]  # the uvicorn fixture, shared with the shell journey

TAISHAN = "440781"
NOTICE = tomllib.loads((ROOT / "tenants" / "440781-taishan.toml").read_text())["public_notice"]


async def enter_application(page: Page, server: str, number: str) -> str:
    """The clerk finds the person by ID number, chooses the program, answers its one fact, saves
    the draft (the amount is computed) and submits it; the application's URL."""
    await page.click("nav a[href='/subsidies/applications']")
    await page.wait_for_url(server + "/subsidies/applications")
    await page.click("a[href='/subsidies/applications/new']")
    await page.wait_for_url(server + "/subsidies/applications/new")
    await page.fill("#f-number", number)
    await page.click("button:has-text('查找人员')")
    await page.wait_for_url("**/subsidies/applications/new?person_id=*")
    await page.select_option("#f-program", "startup_once")  # HTMX swaps in the program's facts
    await page.select_option("#f-facts-returned_overseas_student", "true")
    await page.click("button:has-text('审核资格并保存为草稿')")
    await page.wait_for_url(re.compile(r"/subsidies/applications/[0-9a-f-]{36}$"))
    assert await page.inner_text("#state") == "草稿"
    assert await page.inner_text("#amount") == "¥10,000.00"  # the program's fixed amount
    async with page.expect_navigation():  # the same address again, with the flash message
        await page.click("#actions button:has-text('提交审核')")
    assert await page.inner_text("#state") == "已提交待审核"
    return page.url.split("?")[0]


async def approve_and_download(page: Page, server: str, batch_id: UUID) -> bytes:
    """Finance opens the batch from the list, approves it and downloads the bank file; the file's
    SHA-256 is the one the batch page records."""
    await page.click("nav a[href='/disbursement/batches']")
    await page.wait_for_url(server + "/disbursement/batches")
    await page.click(f"tr[data-batch='{batch_id}'] a")
    await page.wait_for_url(f"{server}/disbursement/batches/{batch_id}")
    assert await page.get_attribute("#batch-facts [data-state]", "data-state") == "built"
    await page.click("#confirm-approve-form button:has-text('审批通过本批次')")
    question = await page.locator("#confirm-approve-q").inner_text()  # the dialog names the batch
    assert "共 " in question and "合计 ¥" in question
    async with page.expect_navigation():
        await page.click("#confirm-approve button[value=confirm]")
    async with page.expect_download() as info:
        await page.click("button:has-text('下载代发文件')")
    download = await info.value
    content = Path(await download.path()).read_bytes()
    await page.goto(f"{server}/disbursement/batches/{batch_id}")
    shown = await page.get_attribute("code[data-sha256]", "data-sha256")
    assert shown == hashlib.sha256(content).hexdigest()
    assert await page.get_attribute("#batch-facts [data-state]", "data-state") == "exported"
    return content


async def upload_return(page: Page, content: bytes, name: str) -> None:
    """Finance uploads the bank's return file on the batch page; the reconciliation page shows."""
    upload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content}
    await page.set_input_files("#f-file", files=upload)
    await page.click("button:has-text('上传并对账')")
    await page.locator("[data-paid]").wait_for()


async def test_award_paid_after_a_failed_payment_and_a_corrected_account(server: str) -> None:
    from playwright.async_api import async_playwright

    from renshe.accounts.principal import Role
    from renshe.subsidies import calendar
    from renshe.subsidies.applications.store import today
    from tests.accounts.support import make_user
    from tests.browser.money import (
        nightly_batch,
        payment_references,
        register,
        return_file,
        run_nightly,
        signed_in,
    )
    from tests.fault.workers import Worker
    from tests.registry.support import luhn_card

    _, clerk_name, _ = await make_user(TAISHAN, Role.CLERK)
    _, reviewer_name, _ = await make_user(TAISHAN, Role.REVIEWER)
    _, finance_name, _ = await make_user(TAISHAN, Role.FINANCE)
    _, paid_number, _ = await register(TAISHAN, "司马文博")
    failing_id, failing_number, _ = await register(TAISHAN, "欧阳晓琳")
    csp: list[str] = []
    log = ARTIFACTS / "money-worker.log"
    log.unlink(missing_ok=True)
    worker = Worker(log).start()  # starts while the clerk works; needed from step 3 on

    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                clerk = await signed_in(browser, server, clerk_name, csp)
                reviewer = await signed_in(browser, server, reviewer_name, csp)
                finance = await signed_in(browser, server, finance_name, csp)

                # 1. The clerk enters and submits both applications.
                paid_url = await enter_application(clerk, server, paid_number)
                await clerk.screenshot(path=str(ARTIFACTS / "money-application.png"), full_page=True)
                failing_url = await enter_application(clerk, server, failing_number)

                # 2. Another user, the reviewer, approves both from the queue → public notice.
                approved_on = today()
                window = calendar.notice_window(approved_on, NOTICE["days"], NOTICE["working_days"])
                for url in (paid_url, failing_url):
                    app_id = url.rsplit("/", 1)[1]
                    await reviewer.click("nav a[href='/subsidies/review']")
                    await reviewer.wait_for_url(server + "/subsidies/review")
                    await reviewer.click(f"#submitted a[href='/subsidies/review/{app_id}']")
                    await reviewer.wait_for_url(f"{server}/subsidies/review/{app_id}")
                    assert "10,000.00" in await reviewer.inner_text("#amount")
                    if url == paid_url:
                        await reviewer.screenshot(path=str(ARTIFACTS / "money-review.png"), full_page=True)
                    await reviewer.click("#decision form[data-ui-confirm] button:has-text('审核通过')")
                    async with reviewer.expect_navigation():  # only after the confirm dialog
                        await reviewer.click("dialog#confirm-approve button[value=confirm]")
                    assert await reviewer.inner_text("#state") == "公示中"
                    assert window.ready_on.isoformat() in await reviewer.inner_text("#notice-window")

                # 3. The notice passes: the nightly run of the first day after it, a worker builds.
                await worker.ready()
                night = window.ready_on
                await run_nightly(night, TAISHAN)
                first = await nightly_batch(TAISHAN, night)

                # 4. Finance approves the nightly batch and downloads its bank file.
                bank_file = await approve_and_download(finance, server, first)
                references = payment_references(bank_file)
                assert {"司马文博", "欧阳晓琳"} <= set(references)  # (other tests' awards may share it)
                await finance.screenshot(path=str(ARTIFACTS / "money-batch.png"), full_page=True)

                # 5. The bank's return: one paid, one failed for a wrong account name.
                await upload_return(
                    finance,
                    return_file([
                        (references["司马文博"], "成功", "", "10000.00"),
                        (references["欧阳晓琳"], "失败", "户名不符", "10000.00"),
                    ]),
                    "return-1.csv",
                )  # fmt: skip
                assert await finance.get_attribute("[data-paid]", "data-paid") == "1"
                assert await finance.get_attribute("[data-paid]", "data-failed") == "1"
                failed = await finance.inner_text("#failed-lines")
                assert "户名不符" in failed and references["欧阳晓琳"] in failed
                await finance.screenshot(path=str(ARTIFACTS / "money-return.png"), full_page=True)

                # 6. The clerk finds the failed award, corrects the account in the registry and
                #    takes it over on the award → ready for the next batch.
                await clerk.goto(f"{server}/subsidies/applications?state=payment_failed")
                await clerk.click(f"a[href='{failing_url.removeprefix(server)}']")
                await clerk.wait_for_url(failing_url)
                assert await clerk.inner_text("#state") == "支付失败"
                await clerk.click(f"#application-summary a[href='/registry/people/{failing_id}']")
                await clerk.wait_for_url(f"{server}/registry/people/{failing_id}")
                await clerk.click(f"a[href='/registry/people/{failing_id}/edit']")
                await clerk.wait_for_url(f"{server}/registry/people/{failing_id}/edit")
                corrected = luhn_card()
                await clerk.fill("#f-bank-account_number", corrected)
                await clerk.click("button:has-text('保存修改')")
                await clerk.wait_for_url(f"{server}/registry/people/{failing_id}")
                await clerk.goto(failing_url)
                await clerk.fill("#fix-payee #f-comment", "户名不符，已按登记信息更正收款账户")
                async with clerk.expect_navigation():
                    await clerk.click("button:has-text('采用更正后的收款账户')")
                assert await clerk.inner_text("#state") == "待支付"
                assert corrected[-4:] in await clerk.inner_text("#payee")

                # 7. The next night's batch pays it.
                await run_nightly(night + timedelta(days=1), TAISHAN)
                second = await nightly_batch(TAISHAN, night + timedelta(days=1))
                again = payment_references(await approve_and_download(finance, server, second))
                assert "司马文博" not in again and again["欧阳晓琳"] != references["欧阳晓琳"]
                assert "重发" in await finance.inner_text(f"tr[data-line='{again['欧阳晓琳']}']")
                await upload_return(
                    finance, return_file([(again["欧阳晓琳"], "成功", "", "10000.00")]), "return-2.csv"
                )
                assert await finance.get_attribute("[data-paid]", "data-paid") == "1"
                assert await finance.get_attribute("[data-paid]", "data-failed") == "0"

                await clerk.goto(failing_url)
                assert await clerk.inner_text("#state") == "已支付"
                events = await clerk.locator("#timeline li[data-to-state]").all()
                to_states = [await e.get_attribute("data-to-state") for e in events]
                comments = [await e.locator("[data-comment]").all_inner_texts() for e in events]
                timeline = [(s, c[0] if c else "—") for s, c in zip(to_states, comments, strict=True)]
                assert to_states.count("in_batch") == 2  # both attempts, one batch each
                assert to_states[-4:] == ["payment_failed", "ready", "in_batch", "paid"]
                assert "户名不符" in timeline[-4][1]
                assert {timeline[i][1] for i, s in enumerate(to_states) if s == "in_batch"} == {
                    str(first),
                    str(second),
                }
                await clerk.screenshot(path=str(ARTIFACTS / "money-award-paid.png"), full_page=True)
            finally:
                await browser.close()
    finally:
        worker.stop()

    assert not csp, csp
