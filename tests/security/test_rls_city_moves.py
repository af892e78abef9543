"""A city user's transaction reads the districts' rows: it must not be able to take one over by
moving it into the city's own unit (found by a hand-made mutant of ``renshe_protect``: with the
UPDATE policy's USING set to ``true`` or to the read set, every other isolation test passed —
docs/testing.md, "Mutation testing")."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.tenancy import service as tenancy
from tests.security.tenant_rows import FACTORIES

# Xinhui: test_isolation_sql.py puts its victim rows (fixed keys) in Jianghai, 440704
CITY, VICTIM = "440700", "440705"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def units(db: None) -> dict[str, UUID]:
    async with tenant_transaction(TenantContext.none()):
        return {c: (await tenancy.org_unit_by_code(c))["id"] for c in (CITY, VICTIM)}


@pytest.mark.parametrize("table", sorted(FACTORIES))
async def test_a_city_user_cannot_move_a_districts_row_into_its_own_unit(
    table: str, units: dict[str, UUID], superuser: asyncpg.Connection
) -> None:
    row_id = await FACTORIES[table](superuser, units[VICTIM])
    async with tenant_transaction(TenantContext.none()):
        subtree = await tenancy.subtree_ids(units[CITY])
    city = TenantContext.subtree(subtree, units[CITY])
    try:
        async with tenant_transaction(city):
            status = await current_transaction().connection.execute(
                f"UPDATE {table} SET tenant_id = $2 WHERE id::text = $1", row_id, units[CITY]
            )
            assert status.split()[-1] == "0", status
    except (asyncpg.InsufficientPrivilegeError, asyncpg.RaiseError):
        pass  # refused outright (append-only tables) is as good as matching nothing
    owner = await superuser.fetchval(f"SELECT tenant_id FROM {table} WHERE id::text = $1", row_id)
    assert owner == units[VICTIM]
