"""Test set-up: real PostgreSQL and Redis, a fresh database per test session.

With no ``RENSHE_DATABASE_URL`` / ``RENSHE_REDIS_URL`` in the environment the suite starts the
embedded PostgreSQL and Valkey from the wheels under ``var/test`` (kept between runs, so a second
run starts in about a second). With them set (``.ci/run`` does, against the system servers) the
same tests run there. Either way each session creates its own database ``renshe_test_<hex>``,
migrates it exactly as ``renshe migrate`` does, and drops it at the end.

The suite runs on two workers (pytest-xdist, ``-n 2`` in ``pyproject.toml``; ``-n 0`` for one
process). The controller starts the servers and runs no test; each worker is a session of its own,
with its own database and Redis number. The split is fixed, not dealt out as workers free up: the
first worker runs the folders before ``SECOND_HALF_FROM`` and the second the rest, each in the
order one process would run them (:func:`pytest_xdist_make_scheduler`). So every file sees the
same tests before it in every run (the districts are shared, and a test's data is a later test's
surroundings), and the first half sees exactly what it saw in one process.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

# the clock and rng fixtures, the seed in every failure report (docs/testing.md, "Determinism")
pytest_plugins = ["tests.determinism"]

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA_DIR = ROOT / "var" / "test"
_state: dict[str, str] = {}


def _own_redis_db(url: str, number: int) -> str:
    """``url`` with Redis database ``number`` (1–15): one of this session's own, so concurrent runs
    and workers do not flush each other's sessions and queues."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("db="))
        # built by hand: urlunsplit drops the "//" of an empty host, and redis-py needs it
        return f"unix://{parts.path}?" + (query + "&" if query else "") + f"db={number}"
    return urlunsplit(parts._replace(path=f"/{number}"))


# The halves' measured times were 547 s and 575 s in one process (December 2026).
SECOND_HALF_FROM = "hkmo"


def half_of(nodeid: str) -> str:
    """``first`` for a test in a folder before SECOND_HALF_FROM, ``second`` otherwise."""
    folder = nodeid.split("::", 1)[0].split("/")[1]
    return "first" if folder < SECOND_HALF_FROM else "second"


@pytest.hookimpl(tryfirst=True)  # instead of xdist's own
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Each half of the suite as one unit of work, in collection order. (xdist's ``loadgroup``
    would do it by marks, but it renames the tests to carry the group, which pytest 9 ignores.)"""
    from xdist.scheduler import LoadScopeScheduling

    class Halves(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return half_of(nodeid)

    return Halves(config, log)


def pytest_configure(config: pytest.Config) -> None:
    if "RENSHE_TEST_DB" in os.environ:  # a subprocess of a test: already configured
        return
    from renshe import embedded
    from renshe.db import urls

    TEST_DATA_DIR.mkdir(parents=True, exist_ok=True)
    base = os.environ.get("RENSHE_DATABASE_URL") or urls.with_database(
        embedded.postgres_url(TEST_DATA_DIR), "postgres"
    )
    redis_base = os.environ.get("RENSHE_REDIS_URL") or embedded.valkey_url(TEST_DATA_DIR)
    # one run's number, shared by its workers (they inherit the controller's environment)
    run = os.environ.setdefault("RENSHE_TEST_RUN", secrets.token_hex(4))
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        # the controller of the workers: the servers are up (started just above, once); each
        # worker makes its own database from these URLs
        os.environ.update(RENSHE_DATABASE_URL=base, RENSHE_REDIS_URL=redis_base)
        return
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    name = f"renshe_test_{run}_{worker}"
    redis = _own_redis_db(redis_base, (int(run, 16) + worker) % 15 + 1)

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


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id at its smallest cost in this process: the suite signs in some thousands of times,
    and at the real cost (64 MiB, 3 passes, 4 lanes) that was a fifth of its time on two cores.
    Same code path, cheaper parameters; the real ones are checked in a fresh process
    (tests/accounts/test_policy.py), and every server a test starts in a process of its own
    hashes at the real cost."""
    from argon2 import PasswordHasher

    patch = pytest.MonkeyPatch()
    _hash_with(patch, PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    yield
    patch.undo()


@pytest.fixture
def real_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at the real cost for one test (one about what that cost hides)."""
    from renshe.accounts import passwords

    _hash_with(monkeypatch, passwords.standard_hasher())


def _hash_with(patch: pytest.MonkeyPatch, hasher: Any) -> None:
    """Hash and verify with ``hasher``, the unknown users' dummy hash included."""
    from renshe.accounts import passwords

    patch.setattr(passwords, "_hasher", hasher)
    patch.setattr(passwords, "_DUMMY_HASH", hasher.hash("dummy-password"))


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
