"""Attacks on the audit log as the application role, inside a tenant transaction of its own
district: it can read its chain, and nothing else — no update, delete, insert or truncate."""

from __future__ import annotations

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from tests.audit.conftest import Unit

pytestmark = pytest.mark.usefixtures("db")

ATTACKS = [
    "UPDATE audit_log SET action = 'nothing.happened' WHERE tenant_id = $1",
    "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 2",
    "INSERT INTO audit_log (tenant_id, seq, action, hash) SELECT $1, 999, 'forged.record', '\\x00'::bytea",
    "TRUNCATE audit_log",
    "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
    "SET LOCAL session_replication_role = replica",
]


@pytest.mark.parametrize("sql", ATTACKS)
async def test_the_app_role_cannot_change_the_audit_log(unit: Unit, sql: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(TenantContext.district(unit.id)):
            conn = current_transaction().connection
            args = (unit.id,) if "$1" in sql else ()
            await conn.execute(sql, *args)
    async with tenant_transaction(TenantContext.district(unit.id)):
        rows = await current_transaction().connection.fetch(
            "SELECT seq, action FROM audit_log WHERE tenant_id = $1 ORDER BY seq", unit.id
        )
    assert [(r["seq"], r["action"]) for r in rows] == [(i, "test.changed") for i in range(1, 6)]


async def test_another_districts_chain_is_invisible(unit: Unit) -> None:
    async with tenant_transaction(TenantContext.district(unit.id)):
        conn = current_transaction().connection
        foreign = await conn.fetchval(
            "SELECT count(*) FROM audit_log a JOIN org_units o ON o.id = a.tenant_id WHERE o.code <> $1",
            unit.code,
        )
    assert foreign == 0
