"""Accounts tests: the real application over HTTP, real PostgreSQL and Redis.

The client is httpx over ``ASGITransport``: it runs the application in the test's own event loop,
where the session-wide database pool and Redis client live. (Litestar's ``AsyncTestClient`` runs
the app in a thread with its own loop, which cannot use that pool.)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.accounts.support import BASE_URL, clear_login_limits


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None):  # type: ignore[no-untyped-def]
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    # Every test starts with clean login rate-limit counters.
    await clear_login_limits()
    transport = httpx.ASGITransport(app=app, client=("192.0.2.10", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c
