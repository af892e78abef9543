"""Registry tests: the real application over HTTP (httpx over ASGITransport, in the test's own
event loop, where the session's database pool lives), real PostgreSQL and Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from tests.registry.support import client as new_client


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None):  # type: ignore[no-untyped-def]
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with new_client(app) as c:
        yield c
