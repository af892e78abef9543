"""GET /api/v1/rollups: the cells summed by district, program and month, the percentiles read from
the summed histograms, the totals equal to the sum of the rows; a district reads itself, a city
role its districts; bad parameters are named; every answer says as of when."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db import urls
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.rollups import folding
from tests.registry.support import api_headers, unit_id
from tests.registry.support import client as new_client
from tests.rollups import history
from tests.rollups.conftest import START, A, B

URL = "/api/v1/rollups"
WINDOW = {"from": "2017-03", "to": "2017-04"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def client(history_2017: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    async with new_client(create_app()) as c:
        yield c


def _fields(answer: httpx.Response) -> set[str]:
    return {e["field"] for e in answer.json()["errors"]}


def _by_district(answer: httpx.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {row["district"]["code"]: row for row in answer.json()["rows"]}


async def test_the_city_reads_every_district_and_the_totals_add_up(client: httpx.AsyncClient) -> None:
    analyst = await api_headers("440700", Role.CITY_ANALYST)
    answer = await client.get(URL, params={**WINDOW, "program": "startup_once"}, headers=analyst)
    rows = _by_district(answer)
    assert {k: rows[A][k] for k in ("applications", "approved_fen", "paid_fen", "failed_payments",
                                     "people_served", "days_to_pay_p50", "days_to_pay_p90")} == {
        "applications": 2, "approved_fen": 350_000, "paid_fen": 100_000, "failed_payments": 1,
        "people_served": 1, "days_to_pay_p50": 10, "days_to_pay_p90": 10,
    }  # fmt: skip
    assert rows[B]["paid_fen"] == 50_000 and rows[B]["days_to_pay_p50"] == 20
    assert rows[A]["district"]["name"] == "台山市"
    totals = answer.json()["totals"]
    for metric in ("applications", "approved_fen", "paid_fen", "failed_payments", "people_served"):
        assert totals[metric] == sum(r[metric] for r in answer.json()["rows"]), metric
    assert (totals["days_to_pay_p50"], totals["days_to_pay_p90"]) == (10, 20)  # the merged histogram
    assert datetime.fromisoformat(answer.json()["as_of"]) <= datetime.now(UTC)


async def test_applications_by_state_add_up_to_the_applications(client: httpx.AsyncClient) -> None:
    from renshe.rollups.service import SUMMED

    states = [m for m in SUMMED if m.startswith("applications:")]
    analyst = await api_headers("440700", Role.CITY_ANALYST)
    answer = await client.get(
        URL, params={**WINDOW, "metric": ",".join(["applications", *states])}, headers=analyst
    )
    rows = _by_district(answer)
    for row in rows.values():
        assert row["applications"] == sum(row[m] for m in states)
    assert rows[A]["applications:paid"] == 1 and rows[A]["applications"] == 2


async def test_months_are_shanghai_months(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(A, Role.CLERK)
    answer = await client.get(
        URL, headers=clerk,
        params={**WINDOW, "program": "startup_once", "group": "month", "metric": "applications,approved_fen"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    months = {r["month"]: r for r in answer.json()["rows"]}
    assert months["2017-03"]["applications"] == 1 and months["2017-04"]["applications"] == 1
    assert months["2017-03"]["approved_fen"] == 0 and months["2017-04"]["approved_fen"] == 350_000


async def test_a_district_reads_only_itself(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(A, Role.REVIEWER)
    rows = _by_district(await client.get(URL, params=WINDOW, headers=clerk))
    assert set(rows) == {A}
    refused = await client.get(URL, params={**WINDOW, "district": B}, headers=clerk)
    assert refused.status_code == 422 and _fields(refused) == {"district"}


async def test_bad_parameters_are_named(client: httpx.AsyncClient) -> None:
    analyst = await api_headers("440700", Role.CITY_ANALYST, language="zh-CN")
    answer = await client.get(
        URL, params={"from": "2019-13", "to": "2017-04", "group": "district,person", "metric": "names"},
        headers=analyst,
    )  # fmt: skip
    assert answer.status_code == 422
    assert _fields(answer) == {"from", "group", "metric"}
    backwards = await client.get(URL, params={"from": "2017-05", "to": "2017-04"}, headers=analyst)
    assert backwards.status_code == 422 and _fields(backwards) == {"to"}


async def test_as_of_waits_for_the_oldest_change_not_folded(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    analyst = await api_headers("440700", Role.CITY_ANALYST)
    tenant = await unit_id(B)
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)  # what other tests changed in the district
    window = {**WINDOW, "program": "startup_once", "district": B}
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        b = await history.begin(conn, await unit_id(B), START)
        await history.file(b, 0, 2, 3)
        changed = await conn.fetchval(
            "SELECT min(changed_at) FROM rollup_changes WHERE tenant_id = $1", await unit_id(B)
        )
    finally:
        await conn.close()
    answer = await client.get(URL, params=window, headers=analyst)
    assert datetime.fromisoformat(answer.json()["as_of"]) == changed
    assert _by_district(answer)[B]["applications"] == 1  # not folded yet: as of before it
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)
    after = await client.get(URL, params=window, headers=analyst)
    assert _by_district(after)[B]["applications"] == 2
    assert datetime.fromisoformat(after.json()["as_of"]) > changed
