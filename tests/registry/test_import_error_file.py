"""An import with errors comes back as the clerk's own file with one more column saying what is
wrong in each row (naming the column), every other cell as uploaded; CSV and XLSX; only for who
may see the import; audited like an export."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest_asyncio

from renshe.accounts.principal import Role
from tests.accounts.support import audit_actions, new_client, signed_in
from tests.registry.import_support import (
    HEADER,
    csv_bytes,
    person_row,
    remember,
    upload,
    validate,
    xlsx_bytes,
)
from tests.registry.support import mobile, prc_id, unit_id


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> Any:
    async with new_client(app) as c:
        await signed_in(c, "440705", Role.CLERK)
        yield c


def _rows() -> list[list[str]]:
    good = prc_id("440705")
    return [
        person_row("陈美玲", "居民身份证", good, mobile(), 备注="-5 needs checking"),  # row 2: fine
        person_row("", "居民身份证", prc_id("440705")),  # row 3: no name
        person_row("孙七", "居民身份证", prc_id("440705"), "12345678901"),  # row 4: bad mobile
        person_row("陈美玲", "居民身份证", good),  # row 5: the document of row 2 again
    ]


def _padded(cells: list[Any], width: int) -> list[str]:
    return [("" if c is None else str(c)) for c in cells] + [""] * (width - len(cells))


def _check(original: list[list[str]], got: list[list[str]]) -> None:
    width = len(HEADER)
    assert len(got) == len(original) + 1
    assert got[0][:width] == HEADER and got[0][width] == "本行错误"
    for expected, row in zip(original, got[1:], strict=True):
        # every original cell as it was (a formula-looking cell only gets the export's ' guard)
        assert [c.removeprefix("'") for c in row[:width]] == _padded(expected, width)
    notes = [row[width] for row in got[1:]]
    assert notes[0] == ""  # a row without errors: empty
    assert notes[1].startswith("姓名：")
    assert notes[2].startswith("手机号码：")
    assert notes[3].startswith("证件号码：") and "第 2 行" in notes[3]


async def test_a_csv_with_errors_comes_back_with_an_error_column(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id("440705")
    rows = _rows()
    batch = await upload(clerk, csv_bytes(rows))
    assert (await validate(tenant, batch))["status"] == "invalid"
    page = await clerk.get(f"/registry/imports/{batch}")
    assert f'href="/registry/imports/{batch}/error-file"' in page.text
    answer = await clerk.get(f"/registry/imports/{batch}/error-file")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8-sig")
    _check(rows, [list(r) for r in csv.reader(io.StringIO(text))])
    assert "registry.import_errors_exported" in [r["action"] for r in await audit_actions(tenant, batch)]


async def test_an_xlsx_with_errors_comes_back_as_xlsx(clerk: httpx.AsyncClient) -> None:
    from openpyxl import load_workbook

    tenant = await unit_id("440705")
    rows = _rows()
    batch = await upload(clerk, xlsx_bytes(rows), filename="名单.xlsx")
    assert (await validate(tenant, batch))["status"] == "invalid"
    clerk.cookies.set("lang", "en", domain="testserver.local")
    try:
        english = await clerk.get(f"/registry/imports/{batch}/error-file")
    finally:
        clerk.cookies.delete("lang", domain="testserver.local")
    sheet = load_workbook(io.BytesIO(english.content)).worksheets[0]
    assert sheet.cell(1, len(HEADER) + 1).value == "Errors in this row"
    assert str(sheet.cell(3, len(HEADER) + 1).value).startswith("姓名: ")  # the column as the clerk wrote it

    answer = await clerk.get(f"/registry/imports/{batch}/error-file")
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    got = [_padded([c.value for c in r], len(HEADER) + 1) for r in sheet.iter_rows()]
    _check(rows, got)


async def test_only_for_who_may_see_the_import_and_only_with_errors(
    clerk: httpx.AsyncClient, app: Any
) -> None:
    tenant = await unit_id("440705")
    batch = await upload(clerk, csv_bytes(_rows()))
    remember(batch, tenant)
    await validate(tenant, batch)
    async with new_client(app) as other:
        await signed_in(other, "440703", Role.CLERK)
        assert (await other.get(f"/registry/imports/{batch}/error-file")).status_code == 404
    clean = await upload(clerk, csv_bytes([person_row("干净", "居民身份证", prc_id("440705"))]))
    assert (await validate(tenant, clean))["status"] == "valid"
    assert (await clerk.get(f"/registry/imports/{clean}/error-file")).status_code == 404
    assert "error-file" not in (await clerk.get(f"/registry/imports/{clean}")).text
