"""Exports of the people and enterprise lists: masked by default, formula injection neutralised,
CSV with a BOM for Excel, XLSX with text cells, the unmasked export only with permission and a
reason (audited)."""

from __future__ import annotations

import csv
import io
import re
import secrets
from typing import Any

import httpx
import pytest_asyncio
from openpyxl import load_workbook

from renshe.accounts.principal import Role
from renshe.spreadsheets.writers import neutralise, to_xlsx
from tests.accounts.support import audit_actions, new_client, page_csrf, signed_in
from tests.registry.support import credit_code, luhn_card, mobile, prc_id, unit_id
from tests.supervision import support as supervision


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> Any:
    async with new_client(app) as c:
        await signed_in(c, "440781", Role.CLERK)
        yield c


async def _person(client: httpx.AsyncClient, **extra: str) -> tuple[str, str]:
    number, card = prc_id("440781"), luhn_card()
    token = await page_csrf(client, "/registry/people/new")
    form = {
        "_csrf": token,
        "name": "谭导出",
        "doc_type": "prc_id",
        "doc_number": number,
        "mobile": mobile(),
        "bank.account_number": card,
        "bank.bank_name": "农业银行",
    } | extra
    answer = await client.post("/registry/people/new", data=form)
    assert answer.status_code == 303, answer.text
    return number, card


def test_cells_that_would_run_as_formulas_are_prefixed() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("江门=1") == "江门=1" and neutralise(None) == ""
    sheet = load_workbook(io.BytesIO(to_xlsx(["a"], [["=1+1"]]))).worksheets[0]
    assert sheet.cell(2, 1).value == "'=1+1" and sheet.cell(2, 1).data_type == "s"


async def test_people_csv_is_masked_with_a_bom_and_neutralised(clerk: httpx.AsyncClient) -> None:
    # the notes tell this person apart: another 谭导出 may share the masked ID's first six and last two
    notes = f"-2+3 {secrets.token_hex(4)}"
    number, card = await _person(clerk, address="=1+1", notes=notes)
    answer = await clerk.get("/registry/people/export", params={"format": "csv", "name": "谭"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["姓名", "证件类型", "证件号码"]
    mine = [r for r in rows[1:] if "'" + notes in r]
    assert len(mine) == 1
    row = mine[0]
    assert row[2] == number[:6] + "*" * 10 + number[-2:]
    assert row[0] == "谭*出" and "'=1+1" in row
    assert number not in answer.text and card not in answer.text
    # the year of birth, as on the pages and in the API: the date would narrow the masked ID
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
    assert rows[0][4] == "出生年份" and row[4] == number[6:10]
    assert born not in answer.text and number[6:14] not in answer.text
    actions = await audit_actions(await unit_id("440781"))
    assert actions[-1]["action"] == "person.exported"


async def test_people_xlsx_has_text_cells_and_masked_accounts(clerk: httpx.AsyncClient) -> None:
    number, card = await _person(clerk)
    answer = await clerk.get("/registry/people/export", params={"format": "xlsx", "name": "谭"})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    account = header.index("银行账号") + 1
    values = [sheet.cell(r, account) for r in range(2, sheet.max_row + 1)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in values)
    assert f"{card[:4]} **** **** {card[-4:]}" in [c.value for c in values]
    assert card.encode() not in answer.content and number.encode() not in answer.content


async def test_unmasked_export_needs_a_reason_and_is_audited(clerk: httpx.AsyncClient, app: Any) -> None:
    number, card = await _person(clerk)
    token = await page_csrf(clerk, "/registry/people")
    short = await clerk.post("/registry/people/export", data={"_csrf": token, "format": "csv", "reason": "x"})
    assert short.status_code == 422
    full = await clerk.post(
        "/registry/people/export",
        data={"_csrf": token, "format": "csv", "name": "谭", "reason": "发放补贴核对"},
    )
    assert full.status_code == 200
    assert number in full.text and card in full.text and "谭导出" in full.text
    assert "出生日期" in full.text and f"{number[6:10]}-{number[10:12]}-{number[12:14]}" in full.text
    last = (await audit_actions(await unit_id("440781")))[-1]
    assert last["action"] == "person.exported_unmasked" and "发放补贴核对" in str(last["after"])
    assert number not in str(last["after"])
    async with new_client(app) as city:  # the city administrator, inspecting the district (督查)
        await supervision.supervising_browser(city, "440781")
        token = await page_csrf(city, "/registry/people")
        refused = await city.post("/registry/people/export", data={"_csrf": token, "reason": "看看全市数据"})
        assert refused.status_code == 403
        masked = await city.get("/registry/people/export", params={"format": "csv", "name": "谭"})
        assert masked.status_code == 200 and number not in masked.text


async def test_enterprise_export_neutralises_a_formula_name(clerk: httpx.AsyncClient) -> None:
    token = await page_csrf(clerk, "/registry/enterprises/new")
    code = credit_code("440781")
    made = await clerk.post(
        "/registry/enterprises/new",
        data={
            "_csrf": token,
            "name": "=1+1",
            "uscc": code,
            "legal_representative": "李大明",
            "bank.account_number": luhn_card("4402"),
        },
    )
    assert made.status_code == 303, made.text
    answer = await clerk.get("/registry/enterprises/export", params={"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    names = {sheet.cell(r, 1).value: r for r in range(2, sheet.max_row + 1)}
    assert "'=1+1" in names and "=1+1" not in names
    row = names["'=1+1"]
    assert sheet.cell(row, 3).value == "李*明"
    assert re.fullmatch(r"4402 \*{4} \*{4} \d{4}", sheet.cell(row, 7).value)
