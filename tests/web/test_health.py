"""/healthz, /readyz and /metrics: without login, honest about what is down, recovering."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from renshe import redis as redis_module
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.web import metrics


async def test_healthz(client: httpx.AsyncClient) -> None:
    answer = await client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


async def test_readyz_when_everything_is_up(client: httpx.AsyncClient) -> None:
    answer = await client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok"}}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends


async def test_readyz_names_redis_when_it_is_unreachable(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    nowhere = Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=1)
    monkeypatch.setattr(redis_module, "_client", nowhere)
    try:
        answer = await client.get("/readyz")
    finally:
        await nowhere.aclose()
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "checks": {"database": "ok", "redis": "down"}}


async def test_readyz_is_ready_again_when_redis_is_back(client: httpx.AsyncClient) -> None:
    # The real client was never replaced for good (previous test): ready again.
    assert (await client.get("/readyz")).status_code == 200


async def _terminate_app_connections(admin_url: str) -> int:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))  # type: ignore[arg-type]
    try:
        killed = await conn.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = 'renshe'"
            " AND pid <> pg_backend_pid()"
        )
    finally:
        await conn.close()
    return int(killed)


def _pool() -> Any:
    from renshe.db.engine import get_engine

    return get_engine().pool


async def _release_leaked_connections() -> int:
    """Give back pooled connections nobody holds any more (no request is running now), so a leak
    fails this test instead of hanging the session's pool close."""
    leaked = [h for h in _pool()._holders if h._in_use is not None and h._proxy is not None]
    for holder in leaked:
        await _pool().release(holder._proxy)
    return len(leaked)


async def test_app_recovers_when_database_connections_are_killed(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    """What a PostgreSQL restart does to the pool: every connection dies under the app.

    Meanwhile pages answer 200 or a friendly 503 (never a 500), no pooled connection is lost on
    the way (a lost one is gone for good: the pool would run dry), and without any restart the
    app answers 200 again. Several rounds, since which error a dead connection gives on its next
    use depends on timing.
    """
    assert (await client.get("/_test/db-query")).status_code == 200
    statuses: list[int] = []
    leaked = 0
    try:
        for _round in range(4):
            assert await _terminate_app_connections(admin_url) >= 1
            for _ in range(10):
                answer = await client.get("/_test/db-query")
                statuses.append(answer.status_code)
                if answer.status_code == 200:
                    break
                assert answer.status_code == 503, statuses
                assert "服务暂时不可用" in answer.text
                await asyncio.sleep(0.2)
            assert statuses[-1] == 200, statuses
    finally:
        leaked = await _release_leaked_connections()
    assert leaked == 0, f"{leaked} pooled connection(s) never released after {statuses}"
    assert (await client.get("/readyz")).status_code == 200


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/lang/en?next=/")
    await client.get("/no/such/thing/12345")
    # A latency whose digits happen to spell the id: the check below must not mistake it for one.
    metrics.observe_request("GET", "/healthz", 200, 0.0123456)
    text = (await client.get("/metrics")).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["renshe_http_requests"].type == "counter"
    assert families["renshe_http_request_duration_seconds"].type == "histogram"
    # Judge the parsed label values, not the text: a timing value may contain any digits.
    counted = {
        (s.labels["route"], s.labels["status"])
        for s in families["renshe_http_requests"].samples
        if s.name == "renshe_http_requests_total"
    }
    assert ("/healthz", "200") in counted
    assert ("/lang/{code}", "303") in counted
    assert ("<unmatched>", "404") in counted
    routes = {
        s.labels["route"]
        for name in ("renshe_http_requests", "renshe_http_request_duration_seconds")
        for s in families[name].samples
    }
    assert not [r for r in routes if "/lang/en" in r or "12345" in r], routes  # no raw paths, no ids


async def test_metrics_content_type(client: httpx.AsyncClient) -> None:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")


async def test_domains_can_register_a_gauge(client: httpx.AsyncClient) -> None:
    async def units_by_kind() -> dict[tuple[str, ...], float]:
        async with tenant_transaction(TenantContext.none()):
            rows = await current_transaction().connection.fetch(
                "SELECT kind, count(*) AS n FROM org_units GROUP BY kind"
            )
        return {(r["kind"],): float(r["n"]) for r in rows}

    metrics.register_gauge("renshe_test_org_units", "Org units by kind.", ("kind",), units_by_kind)
    text = (await client.get("/metrics")).text
    assert 'renshe_test_org_units{kind="district"} 7.0' in text
    assert 'renshe_test_org_units{kind="city"} 1.0' in text


async def test_a_failing_gauge_does_not_break_the_scrape(client: httpx.AsyncClient) -> None:
    async def broken() -> dict[tuple[str, ...], float]:
        raise RuntimeError("reader bug")

    metrics.register_gauge("renshe_test_broken", "Always fails.", (), broken)
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert "renshe_http_requests_total" in answer.text


async def test_pages_answer_503_while_redis_is_unreachable(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading the session (auth middleware, before any handler) fails: a friendly 503 page."""
    from renshe.accounts import sessions

    nowhere = Redis(host="127.0.0.1", port=_closed_port(), socket_connect_timeout=1)
    monkeypatch.setattr(redis_module, "_client", nowhere)
    try:
        answer = await client.get("/", headers={"Cookie": f"{sessions.COOKIE_NAME}=some-session-id"})
    finally:
        await nowhere.aclose()
    assert answer.status_code == 503
    assert "服务暂时不可用" in answer.text
    assert answer.headers["x-request-id"] in answer.text
    assert answer.headers["content-security-policy"]
