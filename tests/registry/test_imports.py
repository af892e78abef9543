"""Bulk import (批量导入) end to end: upload through the page, the check job, the report of every
bad row with its spreadsheet row number and reason in Chinese, confirm, the import job;
all-or-nothing, no duplicates on re-import, GBK and XLSX files."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import httpx
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import people
from renshe.registry.model import DocumentInput, PersonInput
from tests.accounts.support import new_client, page_csrf, signed_in
from tests.registry.import_support import (
    batch_row,
    confirm_and_import,
    count_people,
    csv_bytes,
    person_row,
    remember,
    upload,
    validate,
    xlsx_bytes,
)
from tests.registry.support import TESTER, luhn_card, mobile, not_luhn_card, prc_id, unit_id


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> Any:
    async with new_client(app) as c:
        await signed_in(c, "440705", Role.CLERK)
        yield c


async def _register(tenant: Any, number: str) -> None:
    async with tenant_transaction(TenantContext.district(tenant)):
        await people.register_person(tenant, TESTER, PersonInput("已登记", [DocumentInput("prc_id", number)]))


def _bad_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


async def test_report_lists_every_bad_row_with_its_number_and_reason(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id("440705")
    good, known = prc_id("440705"), prc_id("440705")
    await _register(tenant, known)
    future = "44070520900101001"
    from renshe.registry.identifiers.resident_id import check_character

    future += check_character(future)
    rows = [
        person_row("陈美玲", "居民身份证", good, mobile()),  # row 2: fine
        person_row("李四", "居民身份证", _bad_check(prc_id("440705"))),  # 3: check character
        person_row("王五", "身份证", future),  # 4: birth date in the future
        person_row("陈美玲", "居民身份证", good),  # 5: same document as row 2
        person_row("赵六", "居民身份证", known),  # 6: already registered here
        person_row("", "居民身份证", prc_id("440705")),  # 7: no name
        person_row("孙七", "居民身份证", prc_id("440705"), "12345678901"),  # 8: bad mobile
        person_row("周八", "军官证", "12345678"),  # 9: unknown document type
    ]
    batch = await upload(clerk, csv_bytes(rows))
    before = await count_people(tenant)
    row = await validate(tenant, batch)
    assert row["status"] == "invalid" and row["row_count"] == 8 and row["error_count"] == 6
    page = await clerk.get(f"/registry/imports/{batch}")
    assert page.status_code == 200
    report = row["report"] if isinstance(row["report"], dict) else json.loads(row["report"])
    by_row = {e["row"]: e for e in report["errors"]}
    assert sorted(by_row) == [3, 4, 5, 7, 8, 9]
    assert by_row[3]["column"] == "证件号码" and by_row[4]["column"] == "证件号码"
    assert by_row[5]["params"] == {"row": 2}
    assert (
        by_row[7]["column"] == "姓名"
        and by_row[8]["column"] == "手机号码"
        and by_row[9]["column"] == "证件类型"
    )
    assert [d["row"] for d in report["registered"]] == [6]
    # the page shows each row with its reason in Chinese
    for number in (3, 4, 5, 7, 8, 9):
        assert f'<tr data-row="{number}"><td>{number}</td>' in page.text
    assert "校验" in page.text or "核对" in page.text
    assert "与本文件第 2 行" in page.text or "第 2 行" in page.text
    assert "晚于今天" in page.text
    assert "已登记" in page.text
    assert good not in page.text  # the report never quotes a number
    # nothing imported, and a file with errors cannot be confirmed
    token = await page_csrf(clerk, f"/registry/imports/{batch}")
    refused = await clerk.post(
        f"/registry/imports/{batch}/confirm", data={"_csrf": token}, follow_redirects=False
    )
    assert refused.status_code == 409
    assert await count_people(tenant) == before


async def test_clean_file_imports_everything_and_a_second_upload_adds_nobody(
    clerk: httpx.AsyncClient,
) -> None:
    tenant = await unit_id("440705")
    numbers = [prc_id("440705") for _ in range(4)]
    rows = [
        person_row(
            f"导入{'甲乙丙丁'[i]}",
            "居民身份证",
            n,
            mobile(),
            **{"银行账号": luhn_card(), "学历": "本科", "毕业时间": "2015.07"},
        )
        for i, n in enumerate(numbers)
    ]
    content = csv_bytes(rows)
    before = await count_people(tenant)
    batch = await upload(clerk, content)
    assert (await validate(tenant, batch))["status"] == "valid"
    done = await confirm_and_import(clerk, tenant, batch)
    assert done["status"] == "imported" and done["imported_count"] == 4 and done["file_enc"] is None
    assert await count_people(tenant) == before + 4
    page = await clerk.get(f"/registry/imports/{batch}")
    assert 'data-count="imported">4<' in page.text
    # the import's number, on its page and in the list of recent imports
    assert re.fullmatch(r"DR440705-20[0-9]{2}-[0-9]{6}", done["number"])
    assert done["number"] in page.text and done["number"] in (await clerk.get("/registry/imports")).text
    # the same file again: every row is "already registered", nothing is created twice
    again = await upload(clerk, content)
    checked = await validate(tenant, again)
    assert checked["status"] == "valid" and checked["duplicate_count"] == 4
    redone = await confirm_and_import(clerk, tenant, again)
    assert redone["imported_count"] == 0
    assert await count_people(tenant) == before + 4
    async with tenant_transaction(TenantContext.district(tenant)):
        education = await current_transaction().connection.fetch(
            "SELECT education, graduated_on FROM persons WHERE name = '导入甲'"
            " ORDER BY created_at DESC LIMIT 1"
        )
    assert education[0]["education"] == "bachelor" and education[0]["graduated_on"] == date(2015, 7, 1)


async def test_one_bad_row_imports_nothing(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id("440705")
    rows = [person_row("好人一", "居民身份证", prc_id("440705")) for _ in range(5)]
    rows.append(person_row("坏人", "居民身份证", _bad_check(prc_id("440705"))))
    before = await count_people(tenant)
    batch = await upload(clerk, csv_bytes(rows))
    row = await validate(tenant, batch)
    assert row["status"] == "invalid" and row["error_count"] == 1
    assert await count_people(tenant) == before


async def test_gbk_file_and_warnings_to_confirm(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id("440705")
    rows = [
        person_row(
            "黄小明",
            "居民身份证",
            prc_id("440705"),
            **{"银行账号": not_luhn_card(), "户籍/居住地类型": "内地"},
        ),
        person_row("欧阳娜娜", "居民身份证", prc_id("440705")),
    ]
    batch = await upload(clerk, csv_bytes(rows, encoding="gbk"))
    row = await validate(tenant, batch)
    assert row["status"] == "valid", row["report"]
    page = await clerk.get(f"/registry/imports/{batch}")
    assert 'name="confirm_warnings"' in page.text and "黄小明" not in page.text
    token = await page_csrf(clerk, f"/registry/imports/{batch}")
    unconfirmed = await clerk.post(f"/registry/imports/{batch}/confirm", data={"_csrf": token})
    assert unconfirmed.status_code == 422
    done = await confirm_and_import(clerk, tenant, batch, confirm_warnings=True)
    assert done["imported_count"] == 2
    async with tenant_transaction(TenantContext.district(tenant)):
        names = {
            r["name"]
            for r in await current_transaction().connection.fetch(
                "SELECT name FROM persons WHERE name IN ('黄小明', '欧阳娜娜')"
            )
        }
    assert names == {"黄小明", "欧阳娜娜"}


async def test_xlsx_with_an_id_stored_as_a_number(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id("440705")
    good = prc_id("440705")
    lossy = prc_id("440705")
    rows: list[list[Any]] = [person_row("许一", "居民身份证", good), person_row("许二", "居民身份证", "x")]
    rows[1][2] = float(lossy[:17] + "0") if lossy[-1] == "X" else float(lossy)  # Excel's General cell
    batch = await upload(clerk, xlsx_bytes(rows), filename="名单.xlsx")
    row = await validate(tenant, batch)
    report = row["report"] if isinstance(row["report"], dict) else json.loads(row["report"])
    assert row["status"] == "invalid" and [e["row"] for e in report["errors"]] == [3]
    assert "文本" in (await clerk.get(f"/registry/imports/{batch}")).text


async def test_unreadable_file_is_reported_as_a_whole(clerk: httpx.AsyncClient) -> None:
    tenant = await unit_id("440705")
    batch = await upload(clerk, b"just,some,words\r\n1,2,3\r\n")
    row = await validate(tenant, batch)
    assert row["status"] == "invalid"
    page = await clerk.get(f"/registry/imports/{batch}")
    assert 'data-file-error="true"' in page.text


async def test_template_downloads(clerk: httpx.AsyncClient) -> None:
    from openpyxl import load_workbook

    xlsx = await clerk.get("/registry/import-template/xlsx?kind=people")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["姓名", "证件类型", "证件号码"] and "银行账号" in header
    assert sheet.cell(2, 3).data_type == "s"
    csv_file = await clerk.get("/registry/import-template/csv?kind=people")
    assert csv_file.content.startswith("\ufeff姓名".encode())


async def test_another_district_cannot_see_or_confirm_an_import(clerk: httpx.AsyncClient, app: Any) -> None:
    batch = await upload(clerk, csv_bytes([person_row("隔离", "居民身份证", prc_id("440705"))]))
    remember(batch, await unit_id("440705"))
    async with new_client(app) as other:
        await signed_in(other, "440703", Role.CLERK)
        assert (await other.get(f"/registry/imports/{batch}")).status_code == 404
        token = await page_csrf(other, "/registry/imports")
        assert (
            await other.post(f"/registry/imports/{batch}/confirm", data={"_csrf": token})
        ).status_code == 404
    assert (await batch_row(batch))["file_enc"].split(":")[0]  # stored sealed (key id prefix)


async def test_enterprises_import_too(clerk: httpx.AsyncClient) -> None:
    from tests.registry.support import credit_code

    tenant = await unit_id("440705")
    header = ["企业名称", "统一社会信用代码", "法定代表人", "成立日期", "银行账号", "开户银行"]
    codes = [credit_code("440705"), credit_code("440705")]
    rows = [
        ["江门市导入甲有限公司", codes[0], "李大明", "2020年5月6日", luhn_card("4402"), "中国银行"],
        ["江门市导入乙有限公司", codes[1], "黄小红", "2019/1/2", "", ""],
        ["江门市导入丙有限公司", codes[0], "张三", "", "", ""],  # same credit code as row 2
    ]
    batch = await upload(clerk, csv_bytes(rows, header=header), kind="enterprises")
    row = await validate(tenant, batch)
    report = json.loads(row["report"]) if isinstance(row["report"], str) else row["report"]
    assert row["status"] == "invalid" and [e["row"] for e in report["errors"]] == [4]
    good = await upload(clerk, csv_bytes(rows[:2], header=header), kind="enterprises")
    assert (await validate(tenant, good))["status"] == "valid"
    done = await confirm_and_import(clerk, tenant, good)
    assert done["imported_count"] == 2
    async with tenant_transaction(TenantContext.district(tenant)):
        found = await current_transaction().connection.fetch(
            "SELECT uscc, registered_on FROM enterprises WHERE uscc = ANY($1::text[])", codes
        )
    assert {r["uscc"]: r["registered_on"] for r in found} == {
        codes[0]: date(2020, 5, 6),
        codes[1]: date(2019, 1, 2),
    }
