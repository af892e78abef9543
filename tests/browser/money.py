"""Helpers for the money-path journey in the browser: people registered with a bank account, a
signed-in page per user (each in its own browser context, CSP violations collected), the nightly
run as the operator starts it (``renshe nightly`` in a subprocess), the nightly batch waited for in
the database, and the bank's files — the ICBC-style payment file read back, a return file written.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import date
from uuid import UUID

from playwright.async_api import Browser, Page

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import people
from renshe.registry.model import BankInput, DocumentInput, PersonInput
from tests.accounts.support import PASSWORD
from tests.fault.workers import RENSHE, wait_for
from tests.registry.support import TESTER, luhn_card, prc_id, unit_id

BANK = "中国工商银行台山支行"


async def register(code: str, name: str) -> tuple[UUID, str, str]:
    """A person of district ``code`` with a bank account: (id, resident ID number, account)."""
    number, account = prc_id(code), luhn_card()
    data = PersonInput(
        name=name,
        documents=[DocumentInput("prc_id", number)],
        residency="mainland",
        bank=BankInput(account, name, BANK),
        confirm_warnings=True,
    )
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        person = await people.register_person(tenant, TESTER, data)
    return person.id, number, account


async def signed_in(browser: Browser, server: str, username: str, csp: list[str]) -> Page:
    """A page of a new browser context (its own cookies), signed in as ``username``."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = await context.new_page()
    page.on(
        "console",
        lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    await page.goto(server + "/login")
    await page.fill("#f-username", username)
    await page.fill("#f-password", PASSWORD)
    await page.click("form.login-form button[type=submit]")
    await page.wait_for_url(server + "/")
    return page


async def run_nightly(day: date, code: str) -> str:
    """``renshe nightly --date D --tenant CODE``, as the operator (or cron) runs it."""
    process = await asyncio.create_subprocess_exec(
        RENSHE, "nightly", "--date", day.isoformat(), "--tenant", code,
        env=dict(os.environ), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, out.decode(errors="replace")
    return out.decode()


async def nightly_batch(code: str, day: date, timeout: float = 45) -> UUID:
    """The district's nightly batch of business date ``day``, once the worker has built it."""
    tenant = await unit_id(code)
    found: dict[str, UUID] = {}

    async def built() -> bool:
        async with tenant_transaction(TenantContext.district(tenant)):
            row = await current_transaction().connection.fetchrow(
                """SELECT id, state FROM disbursement_batches
                   WHERE tenant_id = $1 AND business_date = $2 AND origin = 'nightly'""",
                tenant,
                day,
            )
        if row is not None and row["state"] == "built":
            found["id"] = row["id"]
        return "id" in found

    await wait_for(built, timeout, f"the nightly batch of {day}")
    return found["id"]


def payment_references(content: bytes) -> dict[str, str]:
    """{payee name: line reference} of an ICBC-style payment file (GBK, a header block, then the
    column titles; 自定义序号 carries our line reference)."""
    rows = list(csv.reader(io.StringIO(content.decode("gbk"), newline="")))
    titles = next(i for i, r in enumerate(rows) if r and r[0] == "收款人账号")
    name, reference = rows[titles].index("收款人名称"), rows[titles].index("自定义序号")
    return {r[name]: r[reference] for r in rows[titles + 1 :] if r}


def return_file(rows: list[tuple[str, str, str, str]]) -> bytes:
    """A bank return file (UTF-8 CSV with BOM): reference, status, reason, amount in yuan."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("业务参考号", "状态", "失败原因", "金额"))
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode()
