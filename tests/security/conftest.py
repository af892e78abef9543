"""Shared fixtures of the attack tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest_asyncio

from renshe.db import urls


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def superuser(db: None, admin_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection: the attacker who edits rows and reads the catalog by hand."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    yield conn
    await conn.close()
