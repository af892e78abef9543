"""A guaranteed start-up loan's interest subsidy (乐业五邑贷贴息) through the API: the loan's periods
become tranches due when each period ends; a statement above what the schedule allows is refused
and changes nothing; a statement recorded twice is refused; the subsidy released is half of the
interest actually paid, the rest of the period's allowance cancelled in the ledger; a period with
no interest paid (the loan repaid) ends the subsidy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.date_range import add_months
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.grants_support import ledger_kinds, tranche_rows
from tests.hkmo.support import PENGJIANG, registered
from tests.registry.support import api_headers
from tests.registry.support import client as new_client

pytestmark = pytest.mark.asyncio(loop_scope="session")
PRINCIPAL = 30_000_000  # 300,000 yuan: the cap for a person
PERIOD_INTEREST = PRINCIPAL * 365 * 3 // 120_000  # 3.65% a year, a quarter: 2,737.50 yuan
SUBSIDY = PERIOD_INTEREST // 2  # the program's share: half


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    async with new_client(create_app()) as c:
        yield c


def _loan(**changes: Any) -> dict[str, Any]:
    starts = add_months(clock.today(), -7)  # two quarters have ended
    return {"bank": "中国银行江门分行", "principal_fen": PRINCIPAL, "annual_rate_bp": 365, "term_months": 24,
            "period_months": 3, "starts_on": starts.isoformat(), **changes}  # fmt: skip


async def test_an_interest_subsidy_follows_the_banks_statements(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    reviewer = await api_headers(PENGJIANG, Role.REVIEWER)
    youth = await registered(PENGJIANG)
    plan = {"youth_id": str(youth["id"]), "program_code": "hkmo_loan_interest"}

    no_loan = await client.post("/api/v1/hkmo/grants", json=plan, headers=clerk)
    assert no_loan.status_code == 422 and "loan" in no_loan.text
    over_cap = {**plan, "loan": _loan(principal_fen=PRINCIPAL + 100)}
    too_big = await client.post("/api/v1/hkmo/grants", json=over_cap, headers=clerk)
    assert too_big.status_code == 201 and too_big.json()["evaluation"]["eligible"] is False

    made = await client.post("/api/v1/hkmo/grants", json={**plan, "loan": _loan()}, headers=clerk)
    assert made.status_code == 201, made.text
    grant = made.json()
    assert grant["loan"]["period_interest_fen"] == PERIOD_INTEREST
    assert [(t["seq"], t["amount_fen"], t["scheduled_interest_fen"]) for t in grant["tranches"]] == [
        (k, SUBSIDY, PERIOD_INTEREST) for k in range(1, 9)
    ]
    gid = grant["id"]
    grant = (await client.post(f"/api/v1/hkmo/grants/{gid}/submit", json={"version": grant["version"]},
                               headers=clerk)).json()  # fmt: skip
    grant = (await client.post(f"/api/v1/hkmo/grants/{gid}/approve", json={"version": grant["version"]},
                               headers=reviewer)).json()  # fmt: skip
    assert [t["state"] for t in grant["tranches"]] == ["due", "due"] + ["planned"] * 6  # periods ended
    first, second = grant["tranches"][:2]

    over = await client.post(
        f"/api/v1/hkmo/tranches/{first['id']}/milestone",
        json={"met": True, "interest_paid_fen": PERIOD_INTEREST + 1},
        headers=clerk,
    )
    assert over.status_code == 422 and "interest_paid_fen" in over.text
    assert (await tranche_rows(PENGJIANG, gid))[0]["evidence_by"] is None  # nothing changed
    statement = {"met": True, "interest_paid_fen": 200_000, "evidence": "银行付息回单"}
    recorded = await client.post(
        f"/api/v1/hkmo/tranches/{first['id']}/milestone", json=statement, headers=clerk
    )
    assert recorded.status_code == 200 and recorded.json()["interest_paid_fen"] == 200_000
    twice = await client.post(f"/api/v1/hkmo/tranches/{first['id']}/milestone", json=statement, headers=clerk)
    assert twice.status_code == 409
    released = await client.post(f"/api/v1/hkmo/tranches/{first['id']}/decide", json={"met": True},
                                 headers=reviewer)  # fmt: skip
    assert released.status_code == 200, released.text
    assert (released.json()["state"], released.json()["amount_fen"]) == (
        "ready",
        100_000,
    )  # half of what was paid
    award = (await client.get(f"/api/v1/applications/{released.json()['award_id']}", headers=clerk)).json()
    assert (award["state"], award["amount_fen"]) == ("ready", 100_000)

    # the second quarter: the loan was repaid, no interest paid — the subsidy ends there
    await client.post(
        f"/api/v1/hkmo/tranches/{second['id']}/milestone",
        json={"met": True, "interest_paid_fen": 0, "evidence": "贷款已提前结清"},
        headers=clerk,
    )
    ended = await client.post(f"/api/v1/hkmo/tranches/{second['id']}/decide", json={"met": True},
                              headers=reviewer)  # fmt: skip
    assert ended.status_code == 200 and ended.json()["state"] == "cancelled"
    assert [t["state"] for t in await tranche_rows(PENGJIANG, gid)] == ["ready"] + ["cancelled"] * 7
    kinds = await ledger_kinds(PENGJIANG, gid)
    assert kinds[:3] == [("awarded", 8 * SUBSIDY), ("released", 100_000), ("cancelled", SUBSIDY - 100_000)]
    assert [k for k, _ in kinds[3:]] == ["cancelled"] * 7
    balance = (await client.get(f"/api/v1/hkmo/grants/{gid}", headers=clerk)).json()["balance"]
    assert (balance["to_release_fen"], balance["released_fen"]) == (0, 100_000)
