"""A throw-away database for one benchmark run: embedded servers under ``var/bench`` (or the
``RENSHE_DATABASE_URL`` / ``RENSHE_REDIS_URL`` given), migrated, tenants and programs synced.

The environment variables are set before anything reads the settings, so the product code under
measurement runs exactly as configured in production, as the application role through RLS.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "bench"


def prepare() -> str:
    """Create the database and export the variables; returns the superuser URL of the new database."""
    from renshe import embedded
    from renshe.db import urls

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    base = os.environ.get("RENSHE_DATABASE_URL") or urls.with_database(
        embedded.postgres_url(DATA_DIR), "postgres"
    )
    redis = os.environ.get("RENSHE_REDIS_URL") or embedded.valkey_url(DATA_DIR)
    name = f"renshe_bench_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(**urls.asyncpg_kwargs(base))
        try:
            await conn.execute(f'CREATE DATABASE "{name}" ENCODING UTF8 TEMPLATE template0')
        finally:
            await conn.close()

    asyncio.run(create())
    os.environ.update(
        RENSHE_ENV="test",
        RENSHE_DATA_DIR=str(DATA_DIR),
        RENSHE_DATABASE_URL=urls.with_database(base, name),
        RENSHE_REDIS_URL=redis,
        RENSHE_SECRET_KEY=os.environ.get("RENSHE_SECRET_KEY", "bench-secret-key-" + "x" * 40),
        RENSHE_DATA_KEY=os.environ.get("RENSHE_DATA_KEY", "bench-data-key-" + "y" * 40),
        RENSHE_INDEX_KEY=os.environ.get("RENSHE_INDEX_KEY", "bench-index-key-" + "z" * 40),
        RENSHE_LOG_LEVEL="WARNING",
        RENSHE_BENCH_BASE=base,
        RENSHE_BENCH_DB=name,
    )
    return os.environ["RENSHE_DATABASE_URL"]


async def migrate_and_sync() -> None:
    from renshe.db import engine, migrate
    from renshe.settings import get_settings
    from renshe.subsidies.programs.sync import sync_catalogue
    from renshe.tenancy import service as tenancy

    settings = get_settings()
    await migrate.migrate(settings)
    await engine.start(settings)
    try:
        await tenancy.sync_directory(ROOT / "tenants")
        await sync_catalogue()
    finally:
        await engine.close()


async def settle(url: str) -> None:
    """Vacuum and analyse everything written so far, as a district's tables are in steady state:
    otherwise whether autovacuum has reached the rows just written (or is still busy with what an
    earlier benchmark left behind) decides how the measured queries run."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


@asynccontextmanager
async def started_engine() -> AsyncIterator[None]:
    from renshe.db import engine
    from renshe.redis import close_redis
    from renshe.settings import get_settings

    await engine.start(get_settings())
    try:
        yield
    finally:
        await close_redis()
        await engine.close()


def drop() -> None:
    from renshe.db import urls

    base, name = os.environ.get("RENSHE_BENCH_BASE"), os.environ.get("RENSHE_BENCH_DB")
    if not base or not name:
        return

    async def run() -> None:
        conn = await asyncpg.connect(**urls.asyncpg_kwargs(base))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(run())
