"""The workers' Redis broker with an explicit middleware list.

Same Redis URL and namespace as the sender in :mod:`renshe.jobs.queue`. Importing this module
sets the global broker, so it must be imported before any actor module (``workers.main`` does).
"""

from __future__ import annotations

from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO, Retries, TimeLimit

from renshe.jobs import kinds
from renshe.jobs.queue import build_broker
from renshe.settings import Settings, get_settings
from workers.middleware import DatabasePool, LogContext, OneStopSignal

# Retries are few and spaced out: the jobs table counts attempts, the dispatcher is the backstop.
MIN_BACKOFF_MS = 5_000
MAX_BACKOFF_MS = 5 * 60_000


def middleware(settings: Settings) -> list[dramatiq.Middleware]:
    return [
        OneStopSignal(),
        DatabasePool(settings),  # before AsyncIO: see DatabasePool
        AsyncIO(),
        LogContext(),
        TimeLimit(time_limit=15 * 60_000, interval=1000),
        Retries(max_retries=2, min_backoff=MIN_BACKOFF_MS, max_backoff=MAX_BACKOFF_MS),
    ]


def setup(settings: Settings | None = None) -> RedisBroker:
    settings = settings or get_settings()
    built = build_broker(settings, middleware=middleware(settings))
    dramatiq.set_broker(built)
    return built


def job_actor_options(kind_name: str) -> dict[str, Any]:
    """Actor options taken from the job kind, so queue, retries and time limit live in one place."""
    spec = kinds.require(kind_name)
    return {
        "actor_name": spec.name,
        "queue_name": spec.queue,
        "max_retries": spec.max_retries,
        "time_limit": spec.time_limit_seconds * 1000,
    }


broker = setup()
