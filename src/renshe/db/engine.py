"""The application's connection pools, and binding of Piccolo tables to them."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable

import asyncpg
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

from renshe.db import urls
from renshe.settings import Settings

# Every module that declares Piccolo tables. A domain adds its own here
# (tests/platform/test_schema_matches_tables.py fails for a table left out).
TABLE_MODULES: tuple[str, ...] = (
    "renshe.tenancy.tables",
    "renshe.accounts.tables",
    "renshe.audit.tables",
    "renshe.jobs.tables",
    "renshe.registry.tables",
    "renshe.subsidies.programs.tables",
    "renshe.subsidies.applications.tables",
    "renshe.disbursement.tables",
    "renshe.numbering.tables",
    "renshe.talent.tables",
    "renshe.hkmo.tables",
    "renshe.alerts.tables",
    "renshe.supervision.tables",
    "renshe.rollups.tables",
)

_engine: PostgresEngine | None = None


def all_tables() -> list[type[Table]]:
    tables: list[type[Table]] = []
    for name in TABLE_MODULES:
        module = importlib.import_module(name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Table) and obj is not Table and obj.__module__ == name:
                tables.append(obj)
    return tables


def _bind(engine: PostgresEngine, tables: Iterable[type[Table]]) -> None:
    for table in tables:
        table._meta.db = engine


async def _keep_session(connection: asyncpg.Connection) -> None:
    """What a pooled connection needs on its way back: nothing beyond asyncpg's own ending of
    any open transaction. Everything a unit of work sets is transaction-local (``set_config(...,
    true)``, ``pg_advisory_xact_lock``); nothing LISTENs or keeps a cursor. asyncpg's default reset
    (``RESET ALL; UNLISTEN *; …``) would cost every request one more round trip to the server.
    ``tests/security/test_isolation_sql.py`` proves no tenant context outlives its transaction."""


async def start(settings: Settings, *, min_size: int = 1, max_size: int = 10) -> PostgresEngine:
    """Open the application-role pool (idempotent) and bind every table to it."""
    global _engine  # noqa: PLW0603 - one pool per process, like the settings
    if _engine is not None and _engine.pool is not None:
        return _engine
    config = urls.asyncpg_kwargs(urls.role_url(settings, "app"))
    # JIT off: the application runs short OLTP queries, for which compiling costs tens of
    # milliseconds and gains nothing (a count over a large district crossed jit_above_cost).
    config["server_settings"] = {"application_name": "renshe", "timezone": "UTC", "jit": "off"}
    engine = PostgresEngine(config=config, extensions=())
    await engine.start_connection_pool(min_size=min_size, max_size=max_size, reset=_keep_session)
    _bind(engine, all_tables())
    _engine = engine
    return engine


def is_started() -> bool:
    return _engine is not None and _engine.pool is not None


def get_engine() -> PostgresEngine:
    if _engine is None:
        raise RuntimeError("database not started: call renshe.db.engine.start() first")
    return _engine


async def close() -> None:
    global _engine  # noqa: PLW0603
    if _engine is not None:
        await _engine.close_connection_pool()
        _engine = None
