"""Prometheus metrics: HTTP request counts and latency, plus gauges other domains register.

Labels use the *route template* (``/jobs/{job_id:uuid}``), never the raw path, so ids do not
multiply the series; a path that matched no route is counted as ``<unmatched>``.

A domain adds a gauge read at scrape time (e.g. jobs by status) with :func:`register_gauge`::

    async def jobs_by_status() -> dict[tuple[str, ...], float]:
        ...  # {("queued",): 3, ("running",): 1}

    metrics.register_gauge("renshe_jobs", "Jobs by status.", ("status",), jobs_by_status)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

log = structlog.get_logger(__name__)

# The text exposition format (Litestar adds the charset).
CONTENT_TYPE = "text/plain; version=0.0.4"
UNMATCHED = "<unmatched>"
# A registry of our own (not the process-global one): several apps built in one test process
# share these metric objects instead of registering duplicates.
REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "renshe_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ("method", "route", "status"),
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "renshe_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ("method", "route"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)

GaugeReader = Callable[[], Awaitable[Mapping[tuple[str, ...], float]]]


@dataclass(frozen=True, slots=True)
class _RegisteredGauge:
    gauge: Gauge
    read: GaugeReader


_gauges: dict[str, _RegisteredGauge] = {}
# A slow reader must not hang the scrape (Prometheus times out after ~10 s by default).
READ_TIMEOUT_SECONDS = 5.0


def register_gauge(name: str, documentation: str, labelnames: Sequence[str], read: GaugeReader) -> None:
    """Register (or replace the reader of) a gauge whose values ``read()`` returns at scrape time.

    ``read`` returns ``{label values tuple: value}``; label values absent from one scrape
    disappear from it (a status with no jobs left is not reported as a stale number).
    """
    existing = _gauges.get(name)
    if existing is not None:
        _gauges[name] = _RegisteredGauge(existing.gauge, read)
        return
    gauge = Gauge(name, documentation, tuple(labelnames), registry=REGISTRY)
    _gauges[name] = _RegisteredGauge(gauge, read)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


async def _refresh(name: str, registered: _RegisteredGauge) -> None:
    try:
        values = await asyncio.wait_for(registered.read(), READ_TIMEOUT_SECONDS)
    except Exception as exc:  # a broken reader must not break the whole scrape
        log.warning("metrics.gauge_failed", gauge=name, error=type(exc).__name__)
        return
    registered.gauge.clear()
    for labels, value in values.items():
        if labels:
            registered.gauge.labels(*labels).set(value)
        else:
            registered.gauge.set(value)


async def render() -> bytes:
    """The Prometheus text exposition, with every registered gauge read fresh."""
    for name, registered in list(_gauges.items()):
        await _refresh(name, registered)
    return generate_latest(REGISTRY)
