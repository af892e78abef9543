"""Shared plumbing for CLI commands: settings, logging and an open database pool."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from renshe.db import engine
from renshe.logging import configure_logging
from renshe.settings import Settings, get_settings

T = TypeVar("T")


def settings() -> Settings:
    s = get_settings()
    configure_logging(s)
    return s


def run_with_db(work: Callable[[Settings], Awaitable[T]]) -> T:
    """Run ``work`` with the application-role pool open (closed afterwards)."""
    s = settings()

    async def main() -> T:
        await engine.start(s, min_size=1, max_size=4)
        try:
            return await work(s)
        finally:
            from renshe.redis import close_redis

            await close_redis()
            await engine.close()

    return asyncio.run(main())
