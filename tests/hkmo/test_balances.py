"""Balances per youth and per district, summed from the ledgers (issue 11 §4, §5): a youth's money
over every grant they hold — and only theirs — on the API and on the youth's page with what they
owe; a district's over all its grants, read by its own staff; every district's and the city's
total for a city role, always the sum of the districts, never a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.hkmo import grants, tranches
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.grants_support import RENT_YEARLY_FEN, paid_first_tranche
from tests.hkmo.support import PENGJIANG
from tests.registry.support import api_headers
from tests.registry.support import client as new_client
from tests.subsidies.pages_support import browser

pytestmark = pytest.mark.asyncio(loop_scope="session")
CITY = "440700"
KEYS = ("awarded_fen", "released_fen", "paid_fen", "cancelled_fen", "clawback_owed_fen", "recovered_fen",
        "written_off_fen")  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    await sync_catalogue()
    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with new_client(app) as c:
        yield c


async def _owner_sums(admin_url: str) -> dict[str, dict[str, int]]:
    """Every district's ledger sums as the table owner reads them, past row security."""
    conn = await asyncpg.connect(admin_url)
    try:
        rows = await conn.fetch(
            """SELECT o.code, l.kind, sum(l.amount_fen)::bigint AS fen FROM hkmo_ledger l
               JOIN org_units o ON o.id = l.tenant_id GROUP BY o.code, l.kind"""
        )
    finally:
        await conn.close()
    names = {"clawback_owed": "clawback_owed_fen"}
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["code"], dict.fromkeys(KEYS, 0))[names.get(r["kind"], r["kind"] + "_fen")] = r["fen"]
    return {code: {k: v for k, v in sums.items() if k in KEYS} for code, sums in out.items()}


async def test_a_youths_balance_sums_every_grant_of_theirs_and_the_page_shows_what_they_owe(
    app: Any, client: httpx.AsyncClient, admin_url: str
) -> None:
    story = await paid_first_tranche(admin_url)  # rent: the first year paid, 1,000 yuan clawed back
    clerk, reviewer = story["clerk"], story["reviewer"]
    youth_id: UUID = story["grant"]["youth_id"]
    # another youth's paid grant in the same district, which must not count (its night pays every
    # ready award of the district: it comes before the interview grant below)
    await paid_first_tranche(admin_url)
    # a second grant of the same youth, released and not paid yet
    draft = await grants.create(clerk, grants.GrantDraft(youth_id, "hkmo_interview", {"trips": 1}, None))
    sent = await grants.submit(clerk, draft["id"], draft["version"])
    interview = await grants.approve(reviewer, sent["id"], sent["version"])
    await tranches.record_milestone(
        clerk, interview["tranches"][0]["id"], tranches.Evidence(True, "车票已核验")
    )
    await tranches.decide(reviewer, interview["tranches"][0]["id"], True, "同意")

    who = await api_headers(PENGJIANG, Role.CLERK)
    body = (await client.get(f"/api/v1/hkmo/youth/{youth_id}", headers=who)).json()
    balance = body["balance"]
    each = [(await client.get(f"/api/v1/hkmo/grants/{g}", headers=who)).json()["balance"]
            for g in (story["grant"]["id"], interview["id"])]  # fmt: skip
    assert {k: balance[k] for k in KEYS} == {k: each[0][k] + each[1][k] for k in KEYS}
    assert balance["paid_fen"] == RENT_YEARLY_FEN
    assert balance["in_payment_fen"] == interview["amount_fen"]  # released, the night has not paid it
    assert balance["outstanding_fen"] == 100_000
    # the list answers carry no balance (it is summed for one youth at a time)
    listed = (await client.get("/api/v1/hkmo/youth", headers=who)).json()["items"]
    assert all(item["balance"] is None for item in listed)

    async with browser(app, PENGJIANG, Role.CLERK) as (page, _user):
        html = (await page.get(f"/hkmo/youth/{youth_id}")).text
    owed = html[html.index('id="owed"') :]
    assert "¥1,000.00" in owed[: owed.index("</div>")]
    assert 'data-balance="outstanding_fen">¥1,000.00<' in html
    assert f'data-balance="paid_fen">¥{_yuan(RENT_YEARLY_FEN)}<' in html


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


async def test_a_district_reads_its_own_balance_and_the_city_every_districts_and_their_sum(
    app: Any, client: httpx.AsyncClient, admin_url: str
) -> None:
    await paid_first_tranche(admin_url)  # at least one district with money paid and clawed back
    truth = await _owner_sums(admin_url)

    district = await client.get("/api/v1/hkmo/balances", headers=await api_headers(PENGJIANG, Role.REVIEWER))
    assert district.status_code == 200, district.text
    own = district.json()
    assert [d["district_code"] for d in own["districts"]] == [PENGJIANG] and own["city"] is None
    assert {k: own["districts"][0]["balance"][k] for k in KEYS} == truth[PENGJIANG]
    assert own["districts"][0]["balance"]["paid_fen"] > 0 and "as_of" in own

    city = (
        await client.get("/api/v1/hkmo/balances", headers=await api_headers(CITY, Role.CITY_ANALYST))
    ).json()
    codes = [d["district_code"] for d in city["districts"]]
    assert len(codes) == 7 and PENGJIANG in codes
    for d in city["districts"]:
        assert {k: d["balance"][k] for k in KEYS} == truth.get(d["district_code"], dict.fromkeys(KEYS, 0))
    for key in (*KEYS, "outstanding_fen", "net_paid_fen"):
        assert city["city"][key] == sum(d["balance"][key] for d in city["districts"])
    text = str(city)
    assert "name" not in text and "person" not in text and "youth_id" not in text

    # the district's grants page shows the same figures
    async with browser(app, PENGJIANG, Role.CLERK) as (page, _user):
        html = (await page.get("/hkmo/grants")).text
    assert 'id="district-balance"' in html
    paid = own["districts"][0]["balance"]["paid_fen"]
    assert f'data-balance="paid_fen">¥{_yuan(paid)}<' in html


async def test_the_balances_are_refused_to_roles_without_the_figures(client: httpx.AsyncClient) -> None:
    finance = await api_headers(PENGJIANG, Role.FINANCE)
    answer = await client.get("/api/v1/hkmo/balances", headers=finance)
    assert answer.status_code == 403, answer.text
