"""The batch page asks before the irreversible steps: approving and cancelling open a dialog that
names the batch number, how many lines it pays and their total; cancelling is the red button, and
its reason travels with the form from inside the dialog. Building now asks on the list page."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest

from tests.disbursement.test_pages import app, built_batch, lines_of, people, post  # noqa: F401

pytestmark = pytest.mark.asyncio(loop_scope="session")


def dialog(html: str, dialog_id: str) -> str:
    match = re.search(rf'<dialog id="{dialog_id}"[^>]*>(.*?)</dialog>', html, re.S)
    assert match, f"no dialog {dialog_id}"
    return match.group(1)


def form(html: str, dialog_id: str) -> str:
    match = re.search(rf'<form [^>]*id="{dialog_id}-form"[^>]*>(.*?)</form>', html, re.S)
    assert match, f"no form for {dialog_id}"
    return match.group(0)


async def test_approve_and_cancel_ask_naming_the_batch_its_lines_and_total(
    people: Any,  # noqa: F811
    admin_url: str,
) -> None:
    checker, _ = people["checker"]
    batch_id, _apps = await built_batch(admin_url, 3)
    lines = await lines_of(batch_id)
    total = sum(line["amount_fen"] for line in lines)
    conn = await asyncpg.connect(admin_url)
    try:
        number = await conn.fetchval("SELECT number FROM disbursement_batches WHERE id = $1", batch_id)
    finally:
        await conn.close()
    money = f"¥{total // 100:,}.{total % 100:02d}"
    page = (await checker.get(f"/disbursement/batches/{batch_id}")).text

    approve = dialog(page, "confirm-approve")
    assert number in approve and "共 3 笔" in approve and money in approve
    assert f'action="/disbursement/batches/{batch_id}/approve"' in form(page, "confirm-approve")

    cancel = dialog(page, "confirm-cancel")
    assert number in cancel and "共 3 笔" in cancel and money in cancel and "不可撤销" in cancel
    assert 'name="reason"' in cancel and 'form="confirm-cancel-form"' in cancel  # sent with the POST form
    cancel_form = form(page, "confirm-cancel")
    assert 'name="confirm" value="1"' in cancel_form and "btn-danger" in cancel_form

    detail = f"/disbursement/batches/{batch_id}"
    assert (await post(checker, f"{detail}/approve", detail)).status_code == 303
    approved = (await checker.get(detail)).text
    assert 'id="confirm-approve"' not in approved  # approved: nothing left to approve
    assert number in dialog(approved, "confirm-cancel")  # still cancellable before the bank file


async def test_build_now_asks_first(people: Any) -> None:  # noqa: F811
    maker, _ = people["maker"]
    page = (await maker.get("/disbursement/batches")).text
    assert 'action="/disbursement/batches/build"' in form(page, "confirm-build")
    assert "确认立即" in dialog(page, "confirm-build")
