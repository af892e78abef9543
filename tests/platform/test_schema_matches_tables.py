"""One description of the schema: the Piccolo ``Table`` classes and the SQL migrations agree.

Against the migrated test database, every Piccolo table found anywhere under ``renshe`` (every
module is imported, so a new table is covered without touching this file) must match the live
catalog column by column (name, type, nullability), its Piccolo key column must be part of the
database's primary key or of a unique key, and it must be bound to the application pool
(``renshe.db.engine.TABLE_MODULES``).
Every table of the ``public`` schema must have a Piccolo class, or be listed in
:data:`NOT_APPLICATION_TABLES` with the reason.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import asyncpg
import pytest
from piccolo.table import Table

import renshe
from renshe.db import engine, urls

# Tables of the public schema that are deliberately not described by a Piccolo class.
NOT_APPLICATION_TABLES: dict[str, str] = {
    # The migration runner's own ledger (renshe.db.migrate writes it with plain SQL before any
    # application table exists); no application code reads it.
    "schema_migrations": "ledger of renshe.db.migrate",
    # The demo seed's story-clock switch (0015): only the owner writes it, only audit_append reads
    # it; the application role has no access (renshe.audit.story_clock).
    "audit_story_clock": "switch of the demo seed, outside the application role's reach",
}

CATALOG = """
SELECT c.relname AS table_name, a.attname AS column_name,
       format_type(a.atttypid, a.atttypmod) AS data_type, a.attnotnull AS not_null,
       EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = c.oid AND i.indisunique AND i.indpred IS NULL
                 AND a.attnum = ANY (i.indkey::int2[])) AS in_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname, a.attnum
"""

# How the catalog spells a type Piccolo spells differently.
_CATALOG_SPELLING = (
    (re.compile(r"^timestamp with time zone"), "timestamptz"),
    (re.compile(r"^timestamp without time zone"), "timestamp"),
    (re.compile(r"^character varying"), "varchar"),
    (re.compile(r"^double precision"), "double precision"),
)


def _catalog_type(spelled: str) -> str:
    for pattern, replacement in _CATALOG_SPELLING:
        spelled = pattern.sub(replacement, spelled)
    return spelled.lower()


def _piccolo_type(column: Any) -> str:
    return str(column.column_type).lower()


def piccolo_tables() -> dict[str, type[Table]]:
    """Every Piccolo table class declared under ``renshe``, by table name."""
    for module in pkgutil.walk_packages(renshe.__path__, "renshe."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: dict[str, type[Table]] = {}
    pending = list(Table.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("renshe."):
            name = cls._meta.tablename
            assert name not in found, f"two Piccolo classes for {name}: {found[name]} and {cls}"
            found[name] = cls
    return found


@pytest.fixture(scope="module")
async def catalog(db: None, admin_url: str) -> dict[str, dict[str, dict[str, Any]]]:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        rows = await conn.fetch(CATALOG)
    finally:
        await conn.close()
    tables: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = dict(row)
    return tables


def test_the_discovery_finds_the_known_tables() -> None:
    found = piccolo_tables()
    for name in ("org_units", "users", "audit_log", "jobs", "persons", "programs"):
        assert name in found


def test_every_piccolo_table_is_bound_to_the_pool(db: None) -> None:
    bound = {cls._meta.tablename for cls in engine.all_tables()}
    missing = sorted(set(piccolo_tables()) - bound)
    assert not missing, f"add their modules to renshe.db.engine.TABLE_MODULES: {missing}"


def test_every_database_table_has_a_piccolo_class(catalog: dict[str, Any]) -> None:
    described = set(piccolo_tables()) | set(NOT_APPLICATION_TABLES)
    undescribed = sorted(set(catalog) - described)
    assert not undescribed, f"tables in the migrations without a Piccolo class: {undescribed}"
    gone = sorted(set(NOT_APPLICATION_TABLES) - set(catalog))
    assert not gone, f"NOT_APPLICATION_TABLES names tables that no longer exist: {gone}"


def test_every_piccolo_table_matches_the_catalog(catalog: dict[str, Any]) -> None:
    problems: list[str] = []
    for name, cls in sorted(piccolo_tables().items()):
        live = catalog.get(name)
        if live is None:
            problems.append(f"{name}: Piccolo class {cls.__name__} has no table in the database")
            continue
        declared = {c._meta.db_column_name: c for c in cls._meta.columns}
        for column in sorted(set(live) - set(declared)):
            problems.append(f"{name}.{column}: in the database, not in {cls.__name__}")
        for column in sorted(set(declared) - set(live)):
            problems.append(f"{name}.{column}: in {cls.__name__}, not in the database")
        for column in sorted(set(declared) & set(live)):
            piccolo, database = declared[column], live[column]
            if _piccolo_type(piccolo) != _catalog_type(database["data_type"]):
                problems.append(
                    f"{name}.{column}: type {_piccolo_type(piccolo)} in {cls.__name__},"
                    f" {database['data_type']} in the database"
                )
            if bool(piccolo._meta.null) == database["not_null"]:
                problems.append(
                    f"{name}.{column}: null={piccolo._meta.null} in {cls.__name__},"
                    f" {'NOT NULL' if database['not_null'] else 'nullable'} in the database"
                )
        key = cls._meta.primary_key._meta.db_column_name
        if key in live and not live[key]["in_key"]:
            problems.append(f"{name}.{key}: Piccolo's primary key is in no unique key of the database")
    assert not problems, "Piccolo tables and migrations disagree:\n" + "\n".join(problems)
