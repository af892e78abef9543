"""Isolation by attack, in raw SQL as the application role (01-platform §3, §10).

For every tenant table: inside district A's tenant transaction, district B's rows cannot be
read, counted, found by id, updated, deleted, or inserted; a transaction without a context sees
nothing; a city user's transaction reads the districts but writes none of their rows. The schema
checks prove `tenant_id` is in every key and that RLS is enabled and forced.
"""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.tenancy import service as tenancy
from tests.security.tenant_rows import FACTORIES, ONE_ROW_PER_DISTRICT, copy_statement


async def _tenant_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                         AND a.attname = 'tenant_id' AND NOT a.attisdropped)
           ORDER BY 1"""
    )
    return [r["relname"] for r in rows]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def units(db: None) -> dict[str, UUID]:
    async with tenant_transaction(TenantContext.none()):
        return {c: (await tenancy.org_unit_by_code(c))["id"] for c in ("440700", "440703", "440704")}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def victim_rows(superuser: asyncpg.Connection, units: dict[str, UUID]) -> dict[str, str]:
    """One row of district 440704 (the victim) in every tenant table."""
    return {table: await make(superuser, units["440704"]) for table, make in FACTORIES.items()}


async def test_every_tenant_table_has_a_factory(superuser: asyncpg.Connection) -> None:
    tables = await _tenant_tables(superuser)
    assert "jobs" in tables and "audit_log" in tables
    assert sorted(FACTORIES) == tables, "add a factory in tests/security/tenant_rows.py"


async def test_rls_enabled_and_forced_with_a_policy_per_command(
    superuser: asyncpg.Connection,
) -> None:
    for table in await _tenant_tables(superuser):
        flags = await superuser.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = $1", table
        )
        assert flags["relrowsecurity"] and flags["relforcerowsecurity"], table
        commands = {
            r["cmd"]
            for r in await superuser.fetch(
                "SELECT cmd FROM pg_policies WHERE tablename = $1 AND policyname LIKE 'tenant_%'", table
            )
        }
        assert commands == {"SELECT", "INSERT", "UPDATE", "DELETE"}, table


async def test_tenant_id_leads_every_key(superuser: asyncpg.Connection) -> None:
    """Primary keys, unique constraints and foreign keys between tenant tables include tenant_id
    (ready for Citus distribution by tenant_id)."""
    tables = set(await _tenant_tables(superuser))
    rows = await superuser.fetch(
        """SELECT con.conname, rel.relname, con.contype::text AS contype, ref.relname AS refname,
                  ARRAY(SELECT a.attname FROM unnest(con.conkey) k
                        JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k) AS cols
           FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
           LEFT JOIN pg_class ref ON ref.oid = con.confrelid
           WHERE con.contype IN ('p', 'u', 'f') AND rel.relname = ANY($1::text[])""",
        sorted(tables),
    )
    checked = 0
    for r in rows:
        if r["contype"] == "f" and r["refname"] not in tables:
            continue  # a reference to a global table (org_units, users)
        assert "tenant_id" in r["cols"], f"{r['relname']}.{r['conname']} lacks tenant_id"
        checked += 1
    assert checked >= 2 * len(tables)


async def test_application_role_cannot_bypass(superuser: asyncpg.Connection) -> None:
    role = await superuser.fetchrow(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'renshe_app'"
    )
    assert not any(role.values())
    owned = await superuser.fetchval(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'renshe_app'"
    )
    assert owned == 0
    maint = await superuser.fetchval("SELECT rolbypassrls FROM pg_roles WHERE rolname = 'renshe_maint'")
    assert maint is True


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_district_cannot_read_count_or_find_another_districts_rows(
    table: str, units: dict[str, UUID], victim_rows: dict[str, str]
) -> None:
    victim, victim_id = units["440704"], victim_rows[table]
    async with tenant_transaction(TenantContext.district(units["440703"])):
        conn = current_transaction().connection
        assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", victim) == 0
        assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id::text = $1", victim_id) == 0
        assert await conn.fetch(f"SELECT * FROM {table} WHERE tenant_id <> $1", units["440703"]) == []
    # the row is really there: the victim's own context sees it
    async with tenant_transaction(TenantContext.district(victim)):
        conn = current_transaction().connection
        assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id::text = $1", victim_id) == 1


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_no_context_sees_zero_rows(table: str, victim_rows: dict[str, str]) -> None:
    async with tenant_transaction(TenantContext.none()):
        assert await current_transaction().connection.fetchval(f"SELECT count(*) FROM {table}") == 0


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_district_cannot_update_or_delete_another_districts_rows(
    table: str, units: dict[str, UUID], victim_rows: dict[str, str], superuser: asyncpg.Connection
) -> None:
    before = await superuser.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", units["440704"])
    for statement in (
        f"UPDATE {table} SET tenant_id = tenant_id WHERE id::text = $1",
        f"DELETE FROM {table} WHERE id::text = $1",
    ):
        try:
            async with tenant_transaction(TenantContext.district(units["440703"])):
                status = await current_transaction().connection.execute(statement, victim_rows[table])
                assert status.split()[-1] == "0", statement  # RLS hides the row: nothing touched
        except asyncpg.InsufficientPrivilegeError:
            pass  # no such privilege at all (append-only tables): refused outright
        except asyncpg.RaiseError:
            pass  # append-only trigger
    after = await superuser.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", units["440704"])
    assert after == before


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_district_cannot_insert_into_another_district(
    table: str, units: dict[str, UUID], victim_rows: dict[str, str], superuser: asyncpg.Connection
) -> None:
    """Copy the victim's row with a new id: as the attacker's context, the insert is refused."""
    sql, values = await copy_statement(superuser, table, victim_rows[table])
    with pytest.raises((asyncpg.InsufficientPrivilegeError,)):
        async with tenant_transaction(TenantContext.district(units["440703"])):
            await current_transaction().connection.execute(sql, *values)
    # control: where the app may insert at all, the same statement works in the victim's own context
    if await superuser.fetchval("SELECT has_table_privilege('renshe_app', $1, 'INSERT')", table):

        class Undo(Exception):
            pass

        expected = (Undo, asyncpg.UniqueViolationError) if table in ONE_ROW_PER_DISTRICT else Undo
        with pytest.raises(expected):
            async with tenant_transaction(TenantContext.district(units["440704"])):
                await current_transaction().connection.execute(sql, *values)
                raise Undo


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_city_reads_districts_but_writes_none_of_their_rows(
    table: str, units: dict[str, UUID], victim_rows: dict[str, str], superuser: asyncpg.Connection
) -> None:
    async with tenant_transaction(TenantContext.none()):
        subtree = await tenancy.subtree_ids(units["440700"])
    ctx = TenantContext.subtree(subtree, units["440700"])
    async with tenant_transaction(ctx):
        conn = current_transaction().connection
        assert (
            await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id::text = $1", victim_rows[table]) == 1
        )
    for statement in (
        f"UPDATE {table} SET tenant_id = tenant_id WHERE id::text = $1",
        f"DELETE FROM {table} WHERE id::text = $1",
    ):
        try:
            async with tenant_transaction(ctx):
                status = await current_transaction().connection.execute(statement, victim_rows[table])
                assert status.split()[-1] == "0", statement
        except (asyncpg.InsufficientPrivilegeError, asyncpg.RaiseError):
            pass
    assert (
        await superuser.fetchval(f"SELECT count(*) FROM {table} WHERE id::text = $1", victim_rows[table]) == 1
    )


async def test_district_cannot_forge_records_into_another_districts_audit_chain(
    units: dict[str, UUID], superuser: asyncpg.Connection
) -> None:
    before = await superuser.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", units["440704"])
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(TenantContext.district(units["440703"])):
            await current_transaction().connection.fetchval(
                "SELECT audit_append($1, NULL, 'forger', NULL, 'forged.record', NULL, NULL,"
                " NULL, NULL, NULL, NULL)",
                units["440704"],
            )
    after = await superuser.fetchval("SELECT count(*) FROM audit_log WHERE tenant_id = $1", units["440704"])
    assert after == before
    # its own chain it may append to
    async with tenant_transaction(TenantContext.district(units["440703"])):
        seq = await current_transaction().connection.fetchval(
            "SELECT audit_append($1, NULL, 'clerk', NULL, 'own.record', NULL, NULL, NULL, NULL, NULL, NULL)",
            units["440703"],
        )
    assert seq >= 1


async def test_session_level_setting_is_never_left_on_a_pooled_connection(
    units: dict[str, UUID],
) -> None:
    async with tenant_transaction(TenantContext.district(units["440703"])):
        pass
    # the next transaction on (very likely) the same pooled connection starts with no context
    for _ in range(3):
        async with tenant_transaction(TenantContext.none()):
            value = await current_transaction().connection.fetchval(
                "SELECT current_setting('app.tenant_ids', true)"
            )
            assert value in (None, "")


async def test_nested_tenant_transactions_are_refused(units: dict[str, UUID]) -> None:
    from piccolo.engine.exceptions import TransactionError

    outer = tenant_transaction(TenantContext.district(units["440703"]))
    inner = tenant_transaction(TenantContext.district(units["440704"]))
    with pytest.raises(TransactionError):
        async with outer, inner:
            pass
