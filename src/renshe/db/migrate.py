"""Schema migrations: numbered SQL files applied once, in order, as the owner role.

Piccolo tables describe the schema to the ORM; the schema itself lives in SQL because row-level
security policies, composite keys that include ``tenant_id`` and SECURITY DEFINER functions are
the heart of tenant isolation and must read exactly as they run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import asyncpg
import structlog

from renshe.db import urls
from renshe.settings import Settings

log = structlog.get_logger(__name__)

# NOLOGIN roles that own one narrow SECURITY DEFINER gate each (see 0001_platform.sql).
GATE_ROLES = ("renshe_audit_writer", "renshe_dispatch", "renshe_program_gate")


class MigrationError(RuntimeError):
    """A migration could not be applied, or an applied file was changed afterwards."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    found = []
    for entry in resources.files("renshe.db.migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number: {versions}")
    return found


async def _ensure_database(settings: Settings) -> None:
    """In the embedded default, create the application database on first start."""
    if settings.database_url is not None:
        return
    target = urls.admin_url(settings)
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.with_database(target, "postgres")))
    try:
        name = urls.database_name(target)
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}" ENCODING UTF8 TEMPLATE template0')
    finally:
        await conn.close()


async def _ensure_roles(conn: asyncpg.Connection, settings: Settings) -> None:
    """Create or refresh the login and gate roles (needs a superuser or CREATEROLE login)."""
    is_super = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if not is_super:
        missing = await conn.fetch(
            "SELECT r FROM unnest($1::text[]) r WHERE r NOT IN (SELECT rolname FROM pg_roles)",
            [*urls.ROLE_NAMES.values(), *GATE_ROLES],
        )
        if missing:
            raise MigrationError(
                "RENSHE_DATABASE_URL is not a superuser and these roles are missing: "
                + ", ".join(r["r"] for r in missing)
                + " (see docs/operations.md, 'Database roles')"
            )
        return
    attrs = {
        # NOINHERIT: the owner may SET ROLE to the gate roles (to hand them their functions) but
        # does not hold their privileges, so the gates' RLS policies never apply to it.
        "renshe_owner": "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOINHERIT",
        "renshe_app": "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB",
        "renshe_maint": "LOGIN NOSUPERUSER BYPASSRLS NOCREATEROLE NOCREATEDB",
    }
    # Several databases may share one cluster (the tests' workers each migrate their own at once),
    # and roles are the cluster's: "tuple concurrently updated" when two change one. An advisory
    # lock would not serialise them (it is per database); a lock on the shared catalogs is
    # cluster-wide, and ALTER ROLE and GRANT take a weaker one that waits for it.
    async with conn.transaction():
        await conn.execute(
            "LOCK TABLE pg_catalog.pg_authid, pg_catalog.pg_auth_members IN SHARE ROW EXCLUSIVE MODE"
        )
        for role, attr in attrs.items():
            password = urls.role_password(settings, role)
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
            verb = "ALTER" if exists else "CREATE"
            await conn.execute(f"{verb} ROLE {role} {attr} PASSWORD '{password}'")
        for role in GATE_ROLES:
            if not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
                await conn.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOBYPASSRLS")
            # the owner hands objects to the gate roles, so it must be a member
            await conn.execute(f"GRANT {role} TO renshe_owner")
    db = urls.database_name(urls.admin_url(settings))
    await conn.execute(f'GRANT CONNECT, TEMP ON DATABASE "{db}" TO renshe_app, renshe_maint')
    await conn.execute(f'GRANT CONNECT, CREATE ON DATABASE "{db}" TO renshe_owner')
    await conn.execute("GRANT USAGE, CREATE ON SCHEMA public TO renshe_owner")
    # ALTER ... OWNER TO a gate role needs that role to hold CREATE on the schema
    await conn.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {', '.join(GATE_ROLES)}")


async def migrate(settings: Settings) -> list[Migration]:
    """Apply every pending migration; return the ones applied now."""
    await _ensure_database(settings)
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.admin_url(settings)))
    applied_now: list[Migration] = []
    try:
        await _ensure_roles(conn, settings)
        await conn.execute("SELECT pg_advisory_lock(4243)")
        is_super = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if is_super:
            await conn.execute("SET ROLE renshe_owner")
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                 version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {
            r["version"]: r["checksum"]
            for r in await conn.fetch("SELECT version, checksum FROM schema_migrations")
        }
        for m in available():
            if m.version in done:
                if done[m.version] != m.checksum:
                    raise MigrationError(
                        f"migration {m.version:04d}_{m.name}.sql changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(m.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version,
                    m.name,
                    m.checksum,
                )
            log.info("migration applied", version=m.version, name=m.name)
            applied_now.append(m)
        await conn.execute("RESET ROLE")
        await conn.execute("SELECT pg_advisory_unlock(4243)")
    finally:
        await conn.close()
    return applied_now
