"""Login rate limits (限流) per client address and per attempted username, in Redis.

Fixed windows: failed attempts are counted; once a counter reaches its limit, further attempts
in the window get the generic failure without their password being checked. Counting by the
*attempted* username (existing or not) keeps the answer free of any hint about existence.
"""

from __future__ import annotations

import hashlib

from renshe.redis import get_redis
from renshe.settings import Settings

KEY_PREFIX = "ratelimit:login:"


def limits(settings: Settings) -> tuple[int, int, int]:
    """(per IP, per username, window seconds), from ``RENSHE_LOGIN_RATE_*``."""
    return (
        settings.login_rate_per_ip,
        settings.login_rate_per_username,
        settings.login_rate_window_seconds,
    )


def _keys(ip: str | None, username: str) -> tuple[str, str]:
    name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}ip:{ip or '-'}", f"{KEY_PREFIX}user:{name}"


async def exceeded(settings: Settings, ip: str | None, username: str) -> bool:
    per_ip, per_user, _ = limits(settings)
    ip_key, user_key = _keys(ip, username)
    ip_count, user_count = await get_redis().mget([ip_key, user_key])
    return int(ip_count or 0) >= per_ip or int(user_count or 0) >= per_user


async def count_failure(settings: Settings, ip: str | None, username: str) -> None:
    _, _, window = limits(settings)
    async with get_redis().pipeline(transaction=True) as pipe:
        for key in _keys(ip, username):
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
        await pipe.execute()
