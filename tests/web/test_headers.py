"""Security headers and the request id on every kind of answer (07-quality "headers")."""

from __future__ import annotations

import httpx
import pytest

from renshe.web.security_headers import CONTENT_SECURITY_POLICY

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}

# A page, an API answer, a redirect, a router 404 (no route matched), an API 404, a 500, a static file.
PATHS = [
    "/",
    "/docs/api",
    "/healthz",
    "/api/schema",
    "/this/does/not/exist",
    "/api/v1/no-such-thing",
    "/_test/boom",
    "/static/css/app.css",
]


@pytest.mark.parametrize("path", PATHS)
async def test_security_headers_on_every_answer(client: httpx.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    for name, value in EXPECTED.items():
        assert answer.headers[name] == value, name
    assert answer.headers["x-request-id"]


def test_csp_allows_no_inline_code_and_no_other_origin() -> None:
    directives = dict(([*part.strip().split(" ", 1), ""])[:2] for part in CONTENT_SECURITY_POLICY.split(";"))
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "'unsafe-eval'" not in CONTENT_SECURITY_POLICY
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "http" not in CONTENT_SECURITY_POLICY  # no other host allowed anywhere


async def test_pages_and_api_are_not_cached(client: httpx.AsyncClient) -> None:
    for path in ("/docs/api", "/api/schema", "/nope"):
        assert (await client.get(path)).headers["cache-control"] == "no-store", path


async def test_request_id_is_generated_and_unique(client: httpx.AsyncClient) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first != second
    assert len(first) >= 16


async def test_request_id_from_a_proxy_is_kept(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a9c21"})
    assert answer.headers["x-request-id"] == "proxy-7f3a9c21"


async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    # It would end up in logs and on pages: markup or line breaks are not taken over.
    answer = await client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert answer.headers["x-request-id"] != "<script>alert(1)</script>"
    assert "<" not in answer.headers["x-request-id"]
