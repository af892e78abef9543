"""Hostile workbooks uploaded as a bank return: each is refused on the batch page with the reason
in Chinese (row and column where there is one), and nothing is applied or recorded."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import asyncpg
import pytest

from renshe.accounts.principal import Role
from tests.accounts.support import csrf_from, new_client
from tests.disbursement.awards import district, states
from tests.disbursement.test_pages import KAIPING, app, built_batch, people, post  # noqa: F401
from tests.registry.support import api_headers
from tests.spreadsheets import hostile

pytestmark = pytest.mark.asyncio(loop_scope="session")

HOSTILE = {
    "zip bomb": (hostile.zip_bomb, "该工作簿解压后超过 100 MB"),
    "shared-strings bomb": (hostile.shared_strings_bomb, "该工作簿解压后超过 100 MB"),
    "whitespace bomb": (hostile.whitespace_bomb, "该工作簿解压后超过 100 MB"),
    "whitespace padding": (hostile.whitespace_padding, "含有连续超过 8192 个空白字符"),
    "column XFD on every row": (
        lambda: hostile.far_column(rows=50),
        "工作表声明的范围延伸到第 XFD 列（A1:XFD50）；最多读取 50 列（至 AX 列）",
    ),
    "column XFD, no dimension": (
        lambda: hostile.far_column(rows=50, dimension=False),
        "第 1 行：XFD 列有单元格；最多读取 50 列（至 AX 列）",
    ),
}


async def returns_recorded(admin_url: str, batch_id: UUID) -> int:
    conn = await asyncpg.connect(admin_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM bank_returns WHERE batch_id = $1", batch_id))
    finally:
        await conn.close()


async def test_hostile_return_files_are_refused_and_nothing_is_applied(
    app: Any,  # noqa: F811
    people: Any,  # noqa: F811
    admin_url: str,
) -> None:
    checker, _ = people["checker"]
    batch_id, apps = await built_batch(admin_url)
    detail = f"/disbursement/batches/{batch_id}"
    assert (await post(checker, f"{detail}/approve", detail)).status_code == 303
    assert (await post(checker, f"{detail}/bank-file", detail, choice=":")).status_code == 200
    token = csrf_from((await checker.get(detail)).text)
    for name, (make, shown) in HOSTILE.items():
        upload = {"file": ("回盘.xlsx", make(), "application/octet-stream")}
        answer = await checker.post(f"{detail}/returns", data={"_csrf": token}, files=upload)
        assert answer.status_code == 422, (name, answer.status_code)
        assert shown in answer.text, name

    # the API answers problem+json with the same reason; in English when asked
    async with new_client(app) as api:
        finance = await api_headers(KAIPING, Role.FINANCE, language="en")
        wide = hostile.far_column(rows=50, dimension=False)
        upload = {"file": ("return.xlsx", wide, "application/octet-stream")}
        url = f"/api/v1/disbursement-batches/{batch_id}/bank-return"
        answer = await api.post(url, headers=finance, files=upload)
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("application/problem+json")
    assert "Row 1: there is a cell in column XFD; at most 50 columns (up to AX) are read." in answer.text

    assert await returns_recorded(admin_url, batch_id) == 0
    assert await states(await district(KAIPING), apps) == {"in_batch": 2}
