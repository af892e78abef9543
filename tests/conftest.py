"""Test set-up: real PostgreSQL and Redis, a fresh database per test session.

With no ``RENSHE_DATABASE_URL`` / ``RENSHE_REDIS_URL`` in the environment the suite starts the
embedded PostgreSQL and Valkey from the wheels under ``var/test`` (kept between runs, so a second
run starts in about a second). With them set (``.ci/run`` does, against the system servers) the
same tests run there. Either way each session creates its own database ``renshe_test_<hex>``,
migrates it exactly as ``renshe migrate`` does, and drops it at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

# the clock and rng fixtures, the seed in every failure report (docs/testing.md, "Determinism")
pytest_plugins = ["tests.determinism"]

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA_DIR = ROOT / "var" / "test"
_state: dict[str, str] = {}


def _own_redis_db(url: str, name: str) -> str:
    """A Redis database number of this session's own (1–15), so concurrent runs do not flush
    each other's sessions and queues."""
    from urllib.parse import urlsplit, urlunsplit

    number = int(name.rsplit("_", 1)[1], 16) % 15 + 1
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("db="))
        # built by hand: urlunsplit drops the "//" of an empty host, and redis-py needs it
        return f"unix://{parts.path}?" + (query + "&" if query else "") + f"db={number}"
    return urlunsplit(parts._replace(path=f"/{number}"))


def pytest_configure(config: pytest.Config) -> None:
    if "RENSHE_TEST_DB" in os.environ:  # a subprocess of a test: already configured
        return
    from renshe import embedded
    from renshe.db import urls

    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    base = os.environ.get("RENSHE_DATABASE_URL") or urls.with_database(
        embedded.postgres_url(TEST_DATA_DIR), "postgres"
    )
    name = f"renshe_test_{secrets.token_hex(4)}"
    redis = _own_redis_db(os.environ.get("RENSHE_REDIS_URL") or embedded.valkey_url(TEST_DATA_DIR), name)

    async def create() -> None:
        conn = await asyncpg.connect(**urls.asyncpg_kwargs(base))
        try:
            await conn.execute(f'CREATE DATABASE "{name}" ENCODING UTF8 TEMPLATE template0')
        finally:
            await conn.close()

    asyncio.run(create())
    _state.update(base=base, name=name)
    os.environ.update(
        RENSHE_ENV="test",
        RENSHE_DATA_DIR=str(TEST_DATA_DIR),
        RENSHE_DATABASE_URL=urls.with_database(base, name),
        RENSHE_REDIS_URL=redis,
        RENSHE_SECRET_KEY="test-secret-key-" + "x" * 40,
        RENSHE_DATA_KEY="test-data-key-" + "y" * 40,
        RENSHE_INDEX_KEY="test-index-key-" + "z" * 40,
        RENSHE_TEST_DB=name,
        RENSHE_LOG_LEVEL=os.environ.get("RENSHE_LOG_LEVEL", "WARNING"),
    )


_skipped_under_ci: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # Under CI a skipped test is a failure: a required group (browser, system servers) must run.
    if report.skipped and os.environ.get("CI") == "true":
        _skipped_under_ci.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _skipped_under_ci:
        print(f"\nCI=true: {len(_skipped_under_ci)} test(s) skipped, which CI counts as failure:")
        for nodeid in _skipped_under_ci:
            print(f"  {nodeid}")
        session.exitstatus = 1


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _state:
        return
    from renshe.db import urls

    async def drop() -> None:
        conn = await asyncpg.connect(**urls.asyncpg_kwargs(_state["base"]))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{_state["name"]}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


@pytest.fixture(scope="session")
def settings():
    from renshe.settings import get_settings

    return get_settings()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def db(settings) -> AsyncIterator[None]:
    """The test database, migrated, with the application pool open, tenants and programs synced."""
    from renshe.db import engine, migrate
    from renshe.redis import close_redis, get_redis

    await migrate.migrate(settings)
    await engine.start(settings)
    await get_redis().flushdb()
    from renshe.subsidies.programs.sync import sync_catalogue
    from renshe.tenancy import service as tenancy

    await tenancy.sync_directory(ROOT / "tenants")
    await sync_catalogue()
    yield
    await close_redis()
    await engine.close()


@pytest.fixture(scope="session")
def admin_url(settings) -> str:
    """A superuser URL for the test database (to play the attacker who edits rows by hand)."""
    return settings.database_url
