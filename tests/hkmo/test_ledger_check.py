"""The nightly ledger check: a breach only a superuser's hand could make (the database refuses it
to everyone else) is found, recorded once as an alert naming the grant, read by the district's and
the city's administrators and resolved by the district's; a clean district raises nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.hkmo import ledger_check, tranches
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.grants_support import approved_grant
from tests.registry.support import api_headers, unit_id
from tests.registry.support import client as new_client

pytestmark = pytest.mark.asyncio(loop_scope="session")
KAIPING = "440783"  # a district of its own: not the demo tests' (440781, 440785), whose awards it would join


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    async with new_client(create_app()) as c:
        yield c


async def _by_hand(admin_url: str, sql: str, *args: Any) -> None:
    """A superuser's statement with the triggers off (what no application or operator role can do)."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute(sql, *args)
    finally:
        await conn.close()


async def _check(code: str) -> dict[str, Any]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        return await ledger_check.check(tenant, clock.today())


async def test_a_breach_is_an_alert_once_seen_by_both_administrators_and_resolved(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    clean = await _check(KAIPING)
    assert clean["breaches"] == 0  # the control: nothing planted yet, nothing found
    grant, clerk, reviewer = await approved_grant(KAIPING)
    first = grant["tranches"][0]
    await tranches.record_milestone(clerk, first["id"], tranches.Evidence(True, "租赁合同已核验"))
    await tranches.decide(reviewer, first["id"], True, "同意")
    assert (await _check(KAIPING))["breaches"] == 0
    tenant = await unit_id(KAIPING)
    paid_twice = """INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, kind, amount_fen)
                    VALUES ($1, $2, $3, 'paid', $4)"""
    await _by_hand(admin_url, paid_twice, tenant, grant["id"], first["id"], first["amount_fen"] * 2)
    try:
        await _alerts_raised_seen_and_resolved(client, admin_url, grant)
    finally:  # the planted entry out again: a later night in this district pays the award for real
        await _by_hand(
            admin_url, "DELETE FROM hkmo_ledger WHERE grant_id = $1 AND kind = 'paid'", grant["id"]
        )


async def _alerts_raised_seen_and_resolved(
    client: httpx.AsyncClient, admin_url: str, grant: dict[str, Any]
) -> None:
    found = await _check(KAIPING)
    assert (found["breaches"], found["alerts_raised"]) == (1, 1)  # paid more than was released
    again = await _check(KAIPING)
    assert (again["breaches"], again["alerts_raised"]) == (1, 0)  # the same night: nothing new

    admin = await api_headers(KAIPING, Role.DISTRICT_ADMIN)
    # the ledger's alerts (the district's other alerts are other tests')
    mine = [
        a for a in (await client.get("/api/v1/alerts", headers=admin)).json()["items"]
        if a["kind"] == "hkmo.ledger_unbalanced"
    ]  # fmt: skip
    assert [(a["kind"], a["details"]["rule"]) for a in mine] == [
        ("hkmo.ledger_unbalanced", "paid_over_released")
    ]
    assert all(a["details"]["grant_id"] == str(grant["id"]) for a in mine)
    city = (await client.get("/api/v1/alerts", headers=await api_headers("440700", Role.CITY_ADMIN))).json()
    assert {a["id"] for a in mine} <= {a["id"] for a in city["items"]}
    assert {a["district_code"] for a in city["items"] if a["id"] in {m["id"] for m in mine}} == {KAIPING}
    assert (
        await client.get("/api/v1/alerts", headers=await api_headers(KAIPING, Role.CLERK))
    ).status_code == 403

    one = mine[0]["id"]
    done = await client.post(f"/api/v1/alerts/{one}/resolve", json={"resolution": "已核实为测试数据，已更正"},
                             headers=admin)  # fmt: skip
    assert done.status_code == 200 and done.json()["resolved_at"]
    twice = await client.post(f"/api/v1/alerts/{one}/resolve", json={"resolution": "再次"}, headers=admin)
    assert twice.status_code == 409
    left = (await client.get("/api/v1/alerts", headers=admin)).json()["items"]
    assert one not in {a["id"] for a in left}


async def test_a_tranche_out_of_step_with_its_award_is_found(admin_url: str) -> None:
    grant, clerk, reviewer = await approved_grant(KAIPING)
    first = grant["tranches"][0]
    await tranches.record_milestone(clerk, first["id"], tranches.Evidence(True, "租赁合同已核验"))
    released = await tranches.decide(reviewer, first["id"], True, "同意")
    await _by_hand(
        admin_url, "UPDATE applications SET state = 'in_batch' WHERE id = $1", released["award_id"]
    )
    found = await _check(KAIPING)
    tenant = await unit_id(KAIPING)
    async with tenant_transaction(TenantContext.district(tenant)):
        kinds = await current_transaction().connection.fetch(
            "SELECT kind FROM alerts WHERE tenant_id = $1 AND subject LIKE $2",
            tenant,
            f"grant:{grant['id']}%",
        )
    assert found["breaches"] >= 1 and [k["kind"] for k in kinds] == ["hkmo.tranche_not_following_award"]
