"""Error answers: pages in the user's language, HTMX fragments, problem+json under /api."""

from __future__ import annotations

import httpx
import pytest

PROBLEM = "application/problem+json"
SECRET = "110101199003070011"


async def test_404_page_is_chinese_by_default(client: httpx.AsyncClient) -> None:
    answer = await client.get("/no/such/page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in answer.text
    assert "页面不存在" in answer.text
    assert "返回首页" in answer.text
    # The request id shown on the page is the one in the header (for the helpdesk).
    assert answer.headers["x-request-id"] in answer.text


async def test_404_page_in_english_with_the_lang_cookie(client: httpx.AsyncClient) -> None:
    answer = await client.get("/no/such/page", headers={"Cookie": "lang=en"})
    assert answer.status_code == 404
    assert '<html lang="en">' in answer.text
    assert "Not found" in answer.text
    assert "页面不存在" not in answer.text


@pytest.mark.parametrize(
    ("accept", "expect_english"),
    [
        ("en-US,en;q=0.9", True),
        ("en-GB", True),
        ("zh-CN,zh;q=0.9,en;q=0.8", False),
        ("fr-FR,en;q=0.5", True),  # French is not offered; English is the caller's next choice
        ("de-DE", False),  # nothing we offer: Chinese
        ("", False),
        # tags no locale database knows, and garbage: Chinese, never a 500 (issue 8.4)
        ("xx", False),
        ("i-klingon", False),
        ("xx-YY,i-klingon;q=0.9,en;q=0.5", True),
        (";;q=abc,,-_-,*;q=nan,en;q=1e999", False),
        ("x-" + "a" * 20000, False),
    ],
)
async def test_accept_language_negotiation(
    client: httpx.AsyncClient, accept: str, expect_english: bool
) -> None:
    answer = await client.get("/no/such/page", headers={"Accept-Language": accept})
    assert ("Not found" in answer.text) is expect_english
    assert ("页面不存在" in answer.text) is not expect_english


async def test_cookie_wins_over_accept_language(client: httpx.AsyncClient) -> None:
    answer = await client.get("/no/such/page", headers={"Accept-Language": "en", "Cookie": "lang=zh_CN"})
    assert "页面不存在" in answer.text


async def test_problem_json_for_an_unknown_api_path(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/nothing-here/42?q=secret")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["type"] == "urn:renshe:problem:not-found"
    assert body["status"] == 404
    assert body["title"] and body["detail"]
    assert body["instance"] == "/api/v1/nothing-here/42"  # never the query string
    assert body["request_id"] == answer.headers["x-request-id"]
    assert "errors" not in body


async def test_problem_json_for_validation_failed(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/_test/validation", headers={"Accept-Language": "en"})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["type"] == "urn:renshe:problem:validation-failed"
    assert body["status"] == 422
    assert body["detail"] == "Please correct the marked fields."
    # A list of {"field", "message"} (02-registry: field paths such as documents[0].number).
    assert {e["field"] for e in body["errors"]} == {"amount_fen", "limit"}
    assert all(e["message"] for e in body["errors"])


async def test_problem_titles_follow_accept_language(client: httpx.AsyncClient) -> None:
    chinese = (await client.get("/api/v1/_test/validation")).json()
    assert chinese["title"] == "请更正标记的内容"
    assert chinese["type"] == "urn:renshe:problem:validation-failed"  # stable for programs


async def test_problem_json_for_a_conflict(client: httpx.AsyncClient) -> None:
    answer = await client.post("/api/v1/_test/conflict")
    assert answer.status_code == 409
    assert answer.json()["type"] == "urn:renshe:problem:conflict"


async def test_api_without_login_is_401_with_bearer_challenge(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/_test/login-required")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["type"] == "urn:renshe:problem:unauthorized"


async def test_browser_without_login_goes_to_the_login_page(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_test/login-required?id=secret")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/_test/login-required"


async def test_htmx_without_login_is_told_where_to_go(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_test/login-required", headers={"HX-Request": "true"})
    assert answer.status_code == 401
    assert answer.headers["hx-redirect"] == "/login?next=/_test/login-required"


async def test_validation_page_lists_the_field_errors(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_test/validation")
    assert answer.status_code == 422
    assert "请更正标记的内容" in answer.text
    assert "amount_fen" in answer.text


async def test_forbidden_page(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_test/forbidden")
    assert answer.status_code == 403
    assert "无权操作" in answer.text


async def test_method_not_allowed_page_keeps_allow_header(client: httpx.AsyncClient) -> None:
    answer = await client.delete("/healthz")
    assert answer.status_code == 405
    assert "GET" in answer.headers["allow"]
    assert "不支持该操作" in answer.text


async def test_unhandled_error_shows_no_trace_or_data(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_test/boom")
    assert answer.status_code == 500
    assert "系统出错了" in answer.text
    assert answer.headers["x-request-id"] in answer.text
    for leak in (SECRET, "Traceback", "RuntimeError", "secret internal detail"):
        assert leak not in answer.text


async def test_unhandled_api_error_shows_no_trace_or_data(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/_test/boom")
    assert answer.status_code == 500
    body = answer.json()
    assert body["type"] == "urn:renshe:problem:internal-error"
    for leak in (SECRET, "Traceback", "RuntimeError"):
        assert leak not in answer.text


@pytest.mark.parametrize("path", ["/_test/db-down", "/_test/redis-down"])
async def test_lost_database_or_redis_is_a_friendly_503(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.status_code == 503
    assert "服务暂时不可用" in answer.text
    assert "Error 111" not in answer.text and "starting up" not in answer.text


async def test_htmx_gets_a_fragment_aimed_at_the_error_region(client: httpx.AsyncClient) -> None:
    answer = await client.get("/_test/forbidden", headers={"HX-Request": "true"})
    assert answer.status_code == 403
    assert answer.headers["hx-retarget"] == "#htmx-error"
    assert answer.headers["hx-reswap"] == "innerHTML"
    assert "<html" not in answer.text
    assert 'role="alert"' in answer.text
    assert "无权操作" in answer.text


async def test_htmx_history_restore_gets_the_full_page(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/no/such/page", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in answer.text
