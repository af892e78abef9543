"""The demo's story clock for the audit log (演示时间线): open only while the demo seeds.

``audit_append`` dates a record with the database's clock. While the story clock is open (a row
in ``audit_story_clock``, migration 0015) it takes the instant the demo's step runs at
(``clock.story_at``) instead, so the audit log tells the story on its business dates. Only the
owner role writes that table: the seed opens it over its own owner connection here and closes it
when it is done; the application role cannot open it, and production never does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import structlog

from renshe.db import urls
from renshe.settings import Settings

log = structlog.get_logger(__name__)


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[bool]:
    """Hold the story clock open for the enclosed seeding; yields whether it is open. Without an
    owner login (or in production) the seed still runs, its audit records on the real time."""
    if settings.production:
        yield False
        return
    try:
        conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.role_url(settings, "owner")))
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("demo.story_clock_unavailable", error=type(exc).__name__)
        yield False
        return
    try:
        await conn.execute("INSERT INTO audit_story_clock DEFAULT VALUES ON CONFLICT DO NOTHING")
        yield True
    finally:
        await conn.execute("DELETE FROM audit_story_clock")
        await conn.close()
