"""In production: HSTS on every answer; /metrics and the API documentation only for a login or an
allow-listed address. The production application is the real one, built with the test's
settings turned to ``env="production"`` (the database and Redis stay the test ones)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from ipaddress import ip_network

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar

from renshe.accounts.principal import Role
from renshe.settings import get_settings
from renshe.web.security_headers import STRICT_TRANSPORT_SECURITY
from tests.accounts.support import BASE_URL, PASSWORD, clear_login_limits, make_user, signed_in

SCRAPER = "198.51.100.7"  # the Prometheus server, on the allow-list
OUTSIDER = "203.0.113.9"
SCHEMA_PATHS = ["/api/schema", "/api/schema/openapi.json", "/api/schema/openapi.yaml", "/api/schema/x"]


@pytest.fixture(scope="module")
def production_app(db: None) -> Litestar:
    from renshe.web.app import create_app

    settings = dataclasses.replace(
        get_settings(), env="production", metrics_allow=(ip_network("198.51.100.0/28"),)
    )
    return create_app(settings)


@pytest_asyncio.fixture(loop_scope="session")
async def outsider(production_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    await clear_login_limits()
    async with _client(production_app, OUTSIDER) as c:
        yield c


def _client(app: Litestar, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL)


@pytest.mark.parametrize("path", ["/", "/login", "/healthz", "/nope", "/api/v1/me", "/static/css/app.css"])
async def test_hsts_on_every_answer_in_production(outsider: httpx.AsyncClient, path: str) -> None:
    answer = await outsider.get(path)
    assert answer.headers["strict-transport-security"] == STRICT_TRANSPORT_SECURITY
    assert "includeSubDomains" in STRICT_TRANSPORT_SECURITY
    max_age = int(STRICT_TRANSPORT_SECURITY.split("max-age=")[1].split(";")[0])
    assert max_age >= 180 * 86400  # at least six months, as HSTS preload lists require


async def test_no_hsts_outside_production(db: None) -> None:
    """The demo runs on http://localhost: a browser must not learn to refuse it."""
    from renshe.web.app import create_app

    async with _client(create_app(), OUTSIDER) as c:
        assert "strict-transport-security" not in (await c.get("/healthz")).headers


async def test_metrics_refuse_an_anonymous_outsider(outsider: httpx.AsyncClient) -> None:
    answer = await outsider.get("/metrics", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
    assert "renshe_http_requests_total" not in answer.text


async def test_metrics_answer_the_allow_listed_scraper(production_app: Litestar) -> None:
    async with _client(production_app, SCRAPER) as scraper:
        answer = await scraper.get("/metrics")
    assert answer.status_code == 200
    assert "renshe_http_requests_total" in answer.text


async def test_metrics_answer_operators_not_clerks(production_app: Litestar) -> None:
    async with _client(production_app, OUTSIDER) as clerk:
        await signed_in(clerk, "440703", Role.CLERK)
        assert (await clerk.get("/metrics", follow_redirects=False)).status_code == 403
    for role in (Role.AUDITOR, Role.SYSADMIN, Role.SECADMIN):
        async with _client(production_app, OUTSIDER) as operator:
            await signed_in(operator, "440700", role)
            answer = await operator.get("/metrics")
            assert answer.status_code == 200, role
            assert "renshe_http_requests_total" in answer.text


@pytest.mark.parametrize("path", SCHEMA_PATHS)
async def test_api_schema_needs_a_token(outsider: httpx.AsyncClient, path: str) -> None:
    answer = await outsider.get(path)
    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "/api/v1/" not in answer.text


async def test_api_docs_page_sends_an_outsider_to_login(outsider: httpx.AsyncClient) -> None:
    answer = await outsider.get("/docs/api", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


async def test_api_documentation_answers_a_signed_in_user(production_app: Litestar) -> None:
    async with _client(production_app, OUTSIDER) as browser:
        await signed_in(browser, "440703", Role.CLERK)
        page = await browser.get("/docs/api")
        assert page.status_code == 200 and "/api/v1/me" in page.text
    _, name, _ = await make_user("440703", Role.CLERK)
    async with _client(production_app, OUTSIDER) as api:
        issued = await api.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
        token = issued.json()["access_token"]
        for path in SCHEMA_PATHS[:3]:
            answer = await api.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, path
            assert "/api/v1/me" in answer.text


async def test_api_documentation_answers_the_allow_list(production_app: Litestar) -> None:
    async with _client(production_app, SCRAPER) as inside:
        assert (await inside.get("/api/schema")).status_code == 200
        assert (await inside.get("/docs/api")).status_code == 200
