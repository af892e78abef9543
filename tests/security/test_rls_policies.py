"""Row-level security, by its text and by attack on its WITH CHECK (01-platform §3).

The tables are read from the catalog (every table with a ``tenant_id`` column or with RLS
enabled), so a new tenant table is covered without editing this file. For each:

* the policies are exactly the expected ones — name, command, PERMISSIVE, roles, and the USING
  and WITH CHECK expressions as PostgreSQL stores them — and RLS is enabled and FORCEd;
* a row cannot be moved to another district (UPDATE ... SET tenant_id) from a context that may
  write it, and a row cannot be inserted into another district, as the application role inside
  a tenant transaction and as the schema owner (who has every privilege, so only the policy
  stands in the way).

A WITH CHECK set to ``true`` (or dropped, or a permissive policy added) fails both halves.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.settings import Settings
from renshe.tenancy import service as tenancy
from tests.security.tenant_rows import FACTORIES, copy_statement

pytestmark = pytest.mark.asyncio(loop_scope="session")

READ = "(tenant_id = ANY (( SELECT app_read_tenants() AS app_read_tenants)::uuid[]))"
WRITE = "(tenant_id = ANY (( SELECT app_write_tenants() AS app_write_tenants)::uuid[]))"
# (policy, command, USING, WITH CHECK): what renshe_protect() gives every tenant table
TENANT_POLICIES = {
    ("tenant_select", "SELECT", READ, None),
    ("tenant_insert", "INSERT", None, WRITE),
    ("tenant_update", "UPDATE", WRITE, WRITE),
    ("tenant_delete", "DELETE", WRITE, None),
}


def _only(role: str) -> str:
    return f"(CURRENT_USER = '{role}'::name)"


# The narrow gates: a SECURITY DEFINER function's own role sees (and writes) what it must.
GATE_POLICIES: dict[str, set[tuple[str, str, str | None, str | None]]] = {
    "audit_log": {
        ("audit_writer_select", "SELECT", _only("renshe_audit_writer"), None),
        ("audit_writer_insert", "INSERT", None, _only("renshe_audit_writer")),
    },
    "jobs": {
        ("dispatch_select", "SELECT", _only("renshe_dispatch"), None),
        ("dispatch_update", "UPDATE", _only("renshe_dispatch"), _only("renshe_dispatch")),
    },
    "program_receipts": {("program_gate_select", "SELECT", _only("renshe_program_gate"), None)},
    "program_claims": {("program_gate_select", "SELECT", _only("renshe_program_gate"), None)},
}
# How the tenant context reaches the policies (0001_platform.sql): the transaction-local setting.
CONTEXT_FUNCTIONS = {
    "app_read_tenants": (
        "SELECT string_to_array(NULLIF(current_setting('app.tenant_ids', true), ''), ',')::uuid[]"
    ),
    "app_write_tenants": (
        "SELECT string_to_array(NULLIF(current_setting('app.write_tenant_ids', true), ''), ',')::uuid[]"
    ),
}
VICTIM, ATTACKER, CITY = "440704", "440703", "440700"


async def tenant_tables(conn: asyncpg.Connection) -> list[str]:
    rows = await conn.fetch(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
             AND (c.relrowsecurity OR EXISTS (
                   SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                   AND a.attname = 'tenant_id' AND NOT a.attisdropped))
           ORDER BY 1"""
    )
    return [r["relname"] for r in rows]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def owner(db: None, settings: Settings) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.role_url(settings, "owner")))
    yield conn
    await conn.close()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def units(db: None) -> dict[str, Any]:
    async with tenant_transaction(TenantContext.none()):
        found: dict[str, Any] = {
            c: (await tenancy.org_unit_by_code(c))["id"] for c in (VICTIM, ATTACKER, CITY)
        }
        found["subtree"] = await tenancy.subtree_ids(found[CITY])
    return found


async def test_the_catalog_and_the_attacks_cover_the_same_tables(superuser: asyncpg.Connection) -> None:
    tables = await tenant_tables(superuser)
    assert len(tables) >= 16 and "payment_lines" in tables
    assert sorted(FACTORIES) == tables, "add a factory in tests/security/tenant_rows.py"


async def test_every_tenant_table_has_exactly_the_expected_policies_forced(
    superuser: asyncpg.Connection,
) -> None:
    for table in await tenant_tables(superuser):
        flags = await superuser.fetchrow(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = $1::regclass", table
        )
        assert (flags["relrowsecurity"], flags["relforcerowsecurity"]) == (True, True), table
        rows = await superuser.fetch(
            """SELECT policyname, permissive, roles::text[] AS roles, cmd, qual, with_check
               FROM pg_policies WHERE schemaname = 'public' AND tablename = $1""",
            table,
        )
        for r in rows:  # no RESTRICTIVE twist, no policy for some roles only
            assert (r["permissive"], r["roles"]) == ("PERMISSIVE", ["public"]), (table, dict(r))
        found = {(r["policyname"], r["cmd"], r["qual"], r["with_check"]) for r in rows}
        assert found == TENANT_POLICIES | GATE_POLICIES.get(table, set()), table


async def test_the_context_functions_read_the_transaction_local_settings(
    superuser: asyncpg.Connection,
) -> None:
    for name, body in CONTEXT_FUNCTIONS.items():
        fn = await superuser.fetchrow(
            "SELECT prosrc, provolatile, prosecdef, proconfig FROM pg_proc WHERE proname = $1", name
        )
        assert re.sub(r"\s+", " ", fn["prosrc"]).strip() == body, name
        # STABLE (evaluated per statement, so it follows set_config), not a definer, no fixed settings
        assert (fn["provolatile"], fn["prosecdef"], fn["proconfig"]) == (b"s", False, None), name


async def test_renshe_protect_gives_a_new_table_the_same_policies(superuser: asyncpg.Connection) -> None:
    """The migration helper itself, on a table made for the test (rolled back)."""

    class Undo(Exception):
        pass

    with pytest.raises(Undo):
        async with superuser.transaction():
            await superuser.execute("CREATE TABLE rls_probe (tenant_id uuid NOT NULL, id uuid)")
            await superuser.execute("SELECT renshe_protect('rls_probe')")
            rows = await superuser.fetch(
                """SELECT policyname, permissive, roles::text[] AS roles, cmd, qual, with_check
                   FROM pg_policies WHERE tablename = 'rls_probe'"""
            )
            assert {(r["policyname"], r["cmd"], r["qual"], r["with_check"]) for r in rows} == TENANT_POLICIES
            assert {(r["permissive"], tuple(r["roles"])) for r in rows} == {("PERMISSIVE", ("public",))}
            forced = await superuser.fetchval(
                "SELECT relforcerowsecurity FROM pg_class WHERE relname = 'rls_probe'"
            )
            assert forced is True
            raise Undo


async def _as(owner: asyncpg.Connection, tenant: UUID) -> None:
    await owner.execute(
        "SELECT set_config('app.tenant_ids', $1, true), set_config('app.write_tenant_ids', $1, true)",
        str(tenant),
    )


def _refused_by_the_policy(exc: BaseException) -> bool:
    return isinstance(exc, asyncpg.InsufficientPrivilegeError) and "row-level security" in str(exc)


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_a_row_cannot_be_moved_to_another_district(
    table: str, units: dict[str, Any], superuser: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    """Moving a row out: from the district's own context, and from a context that reads the
    target district but writes only the row's unit (a city user's shape). In the latter only
    the UPDATE policy's WITH CHECK stands in the way: PostgreSQL also holds the new row to the
    SELECT policy, which the target district passes there."""
    moves = [
        (units[VICTIM], units[ATTACKER], TenantContext.district(units[VICTIM])),
        (units[CITY], units[VICTIM], TenantContext.subtree(units["subtree"], units[CITY])),
    ]
    app_may_update = await superuser.fetchval("SELECT has_table_privilege('renshe_app', $1, 'UPDATE')", table)
    for home, target, ctx in moves:
        row_id = await FACTORIES[table](superuser, home)
        move = f"UPDATE {table} SET tenant_id = $2 WHERE id::text = $1"

        # the application role, in a transaction that may write the row (so USING lets it through)
        with pytest.raises(asyncpg.PostgresError) as as_app:
            async with tenant_transaction(ctx):
                conn = current_transaction().connection
                assert await conn.fetchval(f"SELECT count(*) FROM {table} WHERE id::text = $1", row_id) == 1
                await conn.execute(move, row_id, target)
        if app_may_update:
            assert _refused_by_the_policy(as_app.value), (table, as_app.value)
        else:  # no UPDATE privilege at all (append-only tables)
            assert isinstance(as_app.value, asyncpg.InsufficientPrivilegeError), (table, as_app.value)

        # the owner has every privilege: only the policy (or the append-only trigger) refuses
        with pytest.raises(asyncpg.PostgresError) as as_owner:
            async with owner.transaction():
                await owner.execute(
                    "SELECT set_config('app.tenant_ids', $1, true),"
                    " set_config('app.write_tenant_ids', $2, true)",
                    ",".join(str(u) for u in ctx.read),
                    ",".join(str(u) for u in ctx.write),
                )
                await owner.execute(move, row_id, target)
        if table == "audit_log":
            assert isinstance(as_owner.value, asyncpg.RaiseError), as_owner.value  # append-only
        elif table == "hkmo_ledger":  # append-only too: its trigger refuses before the policy is asked
            refused_by = getattr(as_owner.value, "constraint_name", None)
            assert refused_by == "hkmo_ledger_append_only", as_owner.value
        else:
            assert _refused_by_the_policy(as_owner.value), (table, as_owner.value)

        assert await superuser.fetchval(f"SELECT tenant_id FROM {table} WHERE id::text = $1", row_id) == home


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_the_owner_cannot_insert_into_another_district_either(
    table: str, units: dict[str, Any], superuser: asyncpg.Connection, owner: asyncpg.Connection
) -> None:
    """The application role's insert attack is in test_isolation_sql; the owner, who may insert
    into every table, is held by the same WITH CHECK."""
    row_id = await FACTORIES[table](superuser, units[VICTIM])
    sql, values = await copy_statement(superuser, table, row_id)
    before = await superuser.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", units[VICTIM])
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="row-level security"):
        async with owner.transaction():
            await _as(owner, units[ATTACKER])
            await owner.execute(sql, *values)
    after = await superuser.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", units[VICTIM])
    assert after == before
