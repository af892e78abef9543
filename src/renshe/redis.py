"""The process-wide async Redis client (sessions, rate limits, readiness)."""

from __future__ import annotations

from redis.asyncio import Redis

from renshe.db.urls import redis_url
from renshe.settings import get_settings

_client: Redis | None = None


def get_redis() -> Redis:
    global _client  # noqa: PLW0603 - one client (and pool) per process
    if _client is None:
        _client = Redis.from_url(redis_url(get_settings()), decode_responses=False)
    return _client


async def close_redis() -> None:
    global _client  # noqa: PLW0603
    if _client is not None:
        await _client.aclose()
        _client = None
