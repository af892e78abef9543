"""What a caller sees for input no handler can use (issue 8.4): a NUL byte, JSON nested 10,000
deep, a page number PostgreSQL cannot hold, a date in year 1 or 9999 — a 400/422 saying what is
wrong (problem+json under /api, the Chinese error page in a browser), never a 500."""

from __future__ import annotations

import httpx
import pytest

PROBLEM = "application/problem+json"
CLERK = {"X-Test-Role": "clerk"}
NUL_ZH = "请求中含有空字符（\\0），系统不接受。请删除后重试。"


@pytest.mark.parametrize(
    "path",
    ["/registry/people?name=%00", "/registry/import-template/x%00", "/registry/people?from=2020-01-01%00"],
)
async def test_a_nul_in_a_page_address_gets_the_chinese_400_page(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.get(path, headers=CLERK)
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert NUL_ZH in answer.text
    assert answer.headers["x-request-id"] in answer.text


async def test_a_nul_in_a_form_is_refused_before_the_handler(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/registry/people/search",
        content=b"query=%E7%8E%8B%00",
        headers={**CLERK, "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": "x"},
    )
    assert answer.status_code == 400 and NUL_ZH in answer.text


@pytest.mark.parametrize(
    "body",
    [b'{"name": "\\u0000"}', b'{"name": "a\x00"}', b'{"name": "ok", "notes": "\\U0000"}'],
)
async def test_a_nul_in_json_is_a_problem_400(client: httpx.AsyncClient, body: bytes) -> None:
    answer = await client.post(
        "/api/v1/people", content=body, headers={**CLERK, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["type"] == "urn:renshe:problem:bad-request"
    assert answer.json()["detail"] == NUL_ZH


async def test_the_nul_message_in_english(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/people?name_prefix=%00", headers={**CLERK, "Accept-Language": "en"})
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("The request contains a NUL character")


@pytest.mark.parametrize("body", [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000])
async def test_ten_thousand_deep_json_is_a_problem_400(client: httpx.AsyncClient, body: bytes) -> None:
    answer = await client.post(
        "/api/v1/people", content=body, headers={**CLERK, "Content-Type": "application/json"}
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"] == "请求内容嵌套层数过多（最多 64 层）。"


async def test_brackets_inside_strings_do_not_count_as_nesting(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/api/v1/people",
        json={"name": "[" * 500 + "{" * 500, "documents": []},
        headers=CLERK,
    )
    assert answer.status_code == 422  # read, and refused for what it says, not for its shape


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "0", "abc", "100001", "１"])
async def test_a_page_number_out_of_range_is_a_400_page(client: httpx.AsyncClient, page: str) -> None:
    answer = await client.get("/registry/people", params={"page": page}, headers=CLERK)
    assert answer.status_code == 400
    assert "页码须为 1 至 100000 之间的整数。" in answer.text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "2100-01-01"])
async def test_a_filter_date_out_of_range_is_refused(client: httpx.AsyncClient, day: str) -> None:
    page = await client.get("/registry/people", params={"to": day}, headers=CLERK)
    assert page.status_code == 400
    assert "请输入 1900-01-01 至 2099-12-31 之间的日期。" in page.text
    api = await client.get("/api/v1/people", params={"created_to": day}, headers=CLERK)
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == ["created_to"]


async def test_the_bounds_themselves_are_accepted(client: httpx.AsyncClient) -> None:
    for day in ("1900-01-01", "2099-12-31"):
        page = await client.get("/registry/people", params={"from": day, "to": day}, headers=CLERK)
        assert page.status_code == 200
