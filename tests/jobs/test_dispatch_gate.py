"""The dispatcher's gate: the application role learns (tenant_id, id, kind) of due jobs and
nothing else, and cannot take the gate's role for itself."""

from __future__ import annotations

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import service
from tests.jobs.support import key, unit_id

pytestmark = pytest.mark.usefixtures("db")


async def test_the_gate_answers_routing_columns_only() -> None:
    tenant = await unit_id("440704")
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue("audit.verify_chain", tenant, {"secret": "x"}, key())
    async with tenant_transaction(TenantContext.district(await unit_id("440703"))):
        conn = current_transaction().connection
        rows = await conn.fetch("SELECT * FROM jobs_due_for_dispatch(0, 10000)")
        assert rows, "the queued job is due"
        assert {tuple(r.keys()) for r in rows} == {("tenant_id", "id", "kind")}
        assert job.id in {r["id"] for r in rows}
        # knowing the id does not open the row: RLS still hides another district's job
        hidden = await conn.fetchval("SELECT count(*) FROM jobs WHERE id = $1", job.id)
        assert hidden == 0
        changed = await conn.execute("UPDATE jobs SET status = 'cancelled' WHERE id = $1", job.id)
        assert changed == "UPDATE 0"


async def test_the_metrics_gate_answers_counts_only() -> None:
    async with tenant_transaction(TenantContext.district(await unit_id("440703"))):
        rows = await current_transaction().connection.fetch("SELECT * FROM jobs_status_counts()")
    assert {tuple(r.keys()) for r in rows} <= {("status", "jobs")}
    assert {r["status"] for r in rows} <= {"queued", "running", "failed"}


@pytest.mark.parametrize(
    "sql",
    [
        "SET LOCAL ROLE renshe_dispatch",
        "SET LOCAL ROLE renshe_audit_writer",
        "SET LOCAL ROLE renshe_maint",
    ],
)
async def test_the_app_role_cannot_become_a_gate_role(sql: str) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(TenantContext.none()):
            await current_transaction().connection.execute(sql)
