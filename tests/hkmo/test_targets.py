"""The city's targets for Hong Kong and Macao youth: the city administrator sets a year's targets
with the districts' shares (which must add up), the city reads progress for every district and a
district its own share, the figures move when a district registers a youth — and no answer names
a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.hkmo.targets import projected
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.support import PENGJIANG, hk_person, registered
from tests.registry.support import api_headers
from tests.registry.support import client as new_client

pytestmark = pytest.mark.asyncio(loop_scope="session")
CITY = "440700"
DISTRICTS = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    async with new_client(create_app()) as c:
        yield c


def _plan(youth: int = 700) -> dict[str, Any]:
    each = youth // len(DISTRICTS)
    return {
        "targets": {"youth_registered": youth, "startups": 70},
        "shares": {code: {"youth_registered": each, "startups": 10} for code in DISTRICTS},
    }


AGGREGATE_KEYS = {"year", "as_of", "metrics", "metric", "label", "target", "actual", "projection",
                  "districts", "district_code", "district_name"}  # fmt: skip


def _keys(value: Any) -> set[str]:
    """Every key at any depth of an answer."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _metric(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in body["metrics"] if m["metric"] == name)


async def test_the_city_sets_targets_and_sees_every_district_move(client: httpx.AsyncClient) -> None:
    year = clock.today().year
    admin = await api_headers(CITY, Role.CITY_ADMIN)
    uneven = _plan()
    uneven["shares"]["440703"]["youth_registered"] += 1
    refused = await client.put(f"/api/v1/hkmo/targets/{year}", json=uneven, headers=admin)
    assert refused.status_code == 422 and "shares.youth_registered" in refused.text
    clerk_try = await client.put(f"/api/v1/hkmo/targets/{year}", json=_plan(),
                                 headers=await api_headers(PENGJIANG, Role.CLERK))  # fmt: skip
    assert clerk_try.status_code == 403
    set_ = await client.put(f"/api/v1/hkmo/targets/{year}", json=_plan(), headers=admin)
    assert set_.status_code == 200, set_.text
    assert _metric(set_.json(), "youth_registered")["target"] == 700

    analyst = await api_headers(CITY, Role.CITY_ANALYST)
    before = (await client.get("/api/v1/hkmo/targets", headers=analyst)).json()
    youth = _metric(before, "youth_registered")
    assert [d["district_code"] for d in youth["districts"]] == list(DISTRICTS)
    assert {d["target"] for d in youth["districts"]} == {100}
    assert youth["actual"] == sum(d["actual"] for d in youth["districts"])  # districts add up
    assert youth["projection"] == projected(youth["actual"], year, clock.today())

    # a clerk registers one more youth
    await registered(PENGJIANG, person_id=await hk_person(PENGJIANG, name="司徒晓岚"))
    after = (await client.get("/api/v1/hkmo/targets", headers=analyst)).json()
    moved = {d["district_code"]: d["actual"] for d in _metric(after, "youth_registered")["districts"]}
    was = {d["district_code"]: d["actual"] for d in youth["districts"]}
    assert moved == {**was, PENGJIANG: was[PENGJIANG] + 1}

    mine = (await client.get("/api/v1/hkmo/targets", headers=await api_headers(PENGJIANG, Role.CLERK))).json()
    own = _metric(mine, "youth_registered")
    assert own["target"] is None and [d["district_code"] for d in own["districts"]] == [PENGJIANG]
    assert own["districts"][0]["target"] == 100 and own["districts"][0]["actual"] == moved[PENGJIANG]
    for body in (after, mine):  # aggregates only: no person's field, name or masked name anywhere
        assert _keys(body) <= AGGREGATE_KEYS, _keys(body) - AGGREGATE_KEYS
        assert "司徒" not in str(body) and "晓岚" not in str(body)
