"""Health endpoints for load balancers and monitoring, without login.

* ``GET /healthz`` — the process is up (never touches PostgreSQL or Redis).
* ``GET /readyz`` — PostgreSQL (``SELECT 1`` in a tenant transaction without tenants, through the
  application pool) and Redis (``PING``) both answer; 503 naming what is down otherwise.
* ``GET /metrics`` — Prometheus text (:mod:`renshe.web.metrics`); in production only for the
  allow-listed scraper or a signed-in operator (:mod:`renshe.web.restricted`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from litestar import Response, get

from renshe import redis as redis_client
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.web import metrics
from renshe.web.restricted import metrics_access

log = structlog.get_logger(__name__)
CHECK_TIMEOUT_SECONDS = 3.0


async def _database() -> None:
    async with tenant_transaction(TenantContext.none()) as tx:
        await tx.connection.fetchval("SELECT 1")


async def _redis() -> None:
    await redis_client.get_redis().ping()


async def _check(name: str, probe: Any) -> str:
    try:
        await asyncio.wait_for(probe(), CHECK_TIMEOUT_SECONDS)
    except Exception as exc:  # any failure means "not ready"; the kind goes to the log only
        log.warning("readyz.down", check=name, error=type(exc).__name__)
        return "down"
    return "ok"


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@get("/readyz", include_in_schema=False)
async def readyz() -> Response[dict[str, Any]]:
    database, redis = await asyncio.gather(_check("database", _database), _check("redis", _redis))
    checks = {"database": database, "redis": redis}
    ready = all(v == "ok" for v in checks.values())
    return Response(
        content={"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@get("/metrics", include_in_schema=False, guards=[metrics_access])
async def prometheus_metrics() -> Response[bytes]:
    return Response(content=await metrics.render(), media_type=metrics.CONTENT_TYPE)


ROUTES = [healthz, readyz, prometheus_metrics]
