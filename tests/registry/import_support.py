"""Helpers for the import tests: files built as a district would type them, uploaded through the
page, and the jobs run by the real runner (as a worker would)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any
from uuid import UUID

import httpx

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner
from tests.accounts.support import page_csrf

HEADER = [
    "姓名",
    "证件类型",
    "证件号码",
    "手机号码",
    "户籍/居住地类型",
    "学历",
    "毕业时间",
    "毕业院校",
    "开户名",
    "银行账号",
    "开户银行",
    "地址",
    "备注",
]
BATCH = re.compile(r"/registry/imports/([0-9a-f-]{36})$")


def csv_bytes(rows: list[list[str]], header: list[str] | None = None, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def person_row(name: str, doc_type: str, number: str, phone: str = "", **extra: str) -> list[str]:
    values = {"姓名": name, "证件类型": doc_type, "证件号码": number, "手机号码": phone} | extra
    return [values.get(h, "") for h in HEADER]


async def upload(
    client: httpx.AsyncClient, content: bytes, filename: str = "名单.csv", kind: str = "people"
) -> UUID:
    token = await page_csrf(client, "/registry/imports")
    answer = await client.post(
        "/registry/imports",
        data={"_csrf": token, "kind": kind},
        files={"file": (filename, content, "application/octet-stream")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    match = BATCH.search(answer.headers["location"])
    assert match
    return UUID(match.group(1))


async def batch_row(batch_id: UUID) -> dict[str, Any]:
    """The batch as the database holds it (read in its own district's context)."""
    for_tenant = await _tenant_of(batch_id)
    async with tenant_transaction(TenantContext.district(for_tenant)):
        row = await current_transaction().connection.fetchrow(
            "SELECT * FROM import_batches WHERE id = $1", batch_id
        )
    assert row is not None
    return dict(row)


_tenants: dict[UUID, UUID] = {}


async def _tenant_of(batch_id: UUID) -> UUID:
    return _tenants[batch_id]


def remember(batch_id: UUID, tenant_id: UUID) -> None:
    _tenants[batch_id] = tenant_id


async def run_job(tenant_id: UUID, job_id: UUID) -> str | None:
    return await runner.run(tenant_id, job_id, worker="test-worker")


async def validate(tenant_id: UUID, batch_id: UUID) -> dict[str, Any]:
    remember(batch_id, tenant_id)
    row = await batch_row(batch_id)
    assert await run_job(tenant_id, row["validate_job_id"]) == "succeeded"
    return await batch_row(batch_id)


async def confirm_and_import(
    client: httpx.AsyncClient, tenant_id: UUID, batch_id: UUID, confirm_warnings: bool = False
) -> dict[str, Any]:
    token = await page_csrf(client, f"/registry/imports/{batch_id}")
    data = {"_csrf": token} | ({"confirm_warnings": "1"} if confirm_warnings else {})
    answer = await client.post(f"/registry/imports/{batch_id}/confirm", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    row = await batch_row(batch_id)
    assert await run_job(tenant_id, row["import_job_id"]) == "succeeded"
    return await batch_row(batch_id)


async def count_people(tenant_id: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return int(await current_transaction().connection.fetchval("SELECT count(*) FROM persons"))
