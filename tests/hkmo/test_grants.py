"""A Hong Kong graduate's rent grant through the API, as the issue's "done means" tells it: planned
for three years, the first milestone recorded and decided, the night pays the tranche through the
same batch and bank file as every other award, a missed second milestone cancels the rest, and a
clawback is recorded, partly recovered and written off — the ledger and balance following each
step, and every refusal (too early, twice, own evidence, above what was paid) clear and harmless."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.hkmo import milestones
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.grants_support import RENT_FACTS, RENT_YEARLY_FEN, ledger_kinds, pay_ready_awards
from tests.hkmo.support import PENGJIANG, registered
from tests.registry.support import api_headers, unit_id
from tests.registry.support import client as new_client

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    async with new_client(create_app()) as c:
        yield c


async def _ok(answer: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def poster(client: httpx.AsyncClient) -> Any:
    """``post(path, body, who)``: the answer of a POST under ``/api/v1/hkmo``."""

    async def post(path: str, body: dict[str, Any], who: dict[str, str]) -> httpx.Response:
        return await client.post(f"/api/v1/hkmo{path}", json=body, headers=who)

    return post


async def test_a_rent_grant_from_plan_to_payment_missed_milestone_and_clawback(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    reviewer = await api_headers(PENGJIANG, Role.REVIEWER)
    youth = await registered(PENGJIANG)
    post = poster(client)

    # planned for three years: 3 × 6,000 (the yearly cap), the first on the lease, then "still operating"
    plan = {"youth_id": str(youth["id"]), "program_code": "hkmo_rent", "facts": RENT_FACTS, "years": 3}
    grant = await _ok(await post("/grants", plan, clerk), 201)
    assert (grant["state"], grant["amount_fen"]) == ("draft", 3 * RENT_YEARLY_FEN)
    assert [(t["seq"], t["milestone"], t["amount_fen"], t["state"]) for t in grant["tranches"]] == [
        (1, "lease_signed", RENT_YEARLY_FEN, "planned"),
        (2, "still_operating", RENT_YEARLY_FEN, "planned"),
        (3, "still_operating", RENT_YEARLY_FEN, "planned"),
    ]
    gid = grant["id"]
    grant = await _ok(await post(f"/grants/{gid}/submit", {"version": grant["version"]}, clerk))
    mine = await post(f"/grants/{gid}/approve", {"version": grant["version"]}, clerk)
    assert mine.status_code == 403  # a clerk does not approve
    approval = {"version": grant["version"], "comment": "材料齐全"}
    grant = await _ok(await post(f"/grants/{gid}/approve", approval, reviewer))
    today = clock.today()
    first, second, _ = grant["tranches"]
    assert (first["state"], first["due_on"]) == ("due", today.isoformat())  # due at approval
    assert second["state"] == "planned" and second["due_on"] > today.isoformat()
    assert grant["balance"]["awarded_fen"] == 3 * RENT_YEARLY_FEN
    assert grant["balance"]["to_release_fen"] == 3 * RENT_YEARLY_FEN

    early = await post(f"/tranches/{second['id']}/milestone", {"met": True}, clerk)
    assert early.status_code == 409 and second["due_on"] in early.json()["detail"]

    evidence = {"met": True, "evidence": "营业执照及租赁合同已核验",
                "documents": [{"name": "租赁合同", "dated": today.isoformat()}]}  # fmt: skip
    recorded = await _ok(await post(f"/tranches/{first['id']}/milestone", evidence, clerk))
    assert recorded["evidence_files"] == [{"name": "租赁合同", "dated": today.isoformat()}]
    twice = await post(f"/tranches/{first['id']}/milestone", evidence, clerk)
    assert twice.status_code == 409
    released = await _ok(
        await post(f"/tranches/{first['id']}/decide", {"met": True, "comment": "同意"}, reviewer)
    )
    assert released["state"] == "ready" and released["award_id"]
    again = await post(
        f"/tranches/{first['id']}/decide", {"met": True}, await api_headers(PENGJIANG, Role.REVIEWER)
    )
    assert again.status_code == 409

    # the payable award is an award like any other: ready, then paid by the night's bank file
    award = await _ok(await client.get(f"/api/v1/applications/{released['award_id']}", headers=clerk))
    assert (award["state"], award["amount_fen"], award["program_code"]) == (
        "ready",
        RENT_YEARLY_FEN,
        "hkmo_rent",
    )
    assert await pay_ready_awards(admin_url, PENGJIANG, today) >= 1
    award = await _ok(await client.get(f"/api/v1/applications/{released['award_id']}", headers=clerk))
    assert award["state"] == "paid"
    grant = await _ok(await client.get(f"/api/v1/hkmo/grants/{gid}", headers=clerk))
    assert [t["state"] for t in grant["tranches"]] == ["paid", "planned", "planned"]
    assert grant["balance"]["paid_fen"] == RENT_YEARLY_FEN and grant["balance"]["in_payment_fen"] == 0

    # a year on, the night moves the second milestone to due; the business closed: not met
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        night = await milestones.run(tenant, date.fromisoformat(second["due_on"]) - timedelta(days=1))
    assert night["fell_due"] >= 1
    await _ok(
        await post(f"/tranches/{second['id']}/milestone", {"met": False, "evidence": "现场核查已停业"}, clerk)
    )
    no_reason = await post(f"/tranches/{second['id']}/decide", {"met": False}, reviewer)
    assert no_reason.status_code == 422 and "comment" in no_reason.text
    await _ok(
        await post(f"/tranches/{second['id']}/decide", {"met": False, "comment": "企业已停止经营"}, reviewer)
    )
    grant = await _ok(await client.get(f"/api/v1/hkmo/grants/{gid}", headers=clerk))
    assert [t["state"] for t in grant["tranches"]] == ["paid", "cancelled", "cancelled"]
    assert {t["cancel_reason"] for t in grant["tranches"][1:]} == {"企业已停止经营"}
    assert (
        grant["balance"]["to_release_fen"] == 0 and grant["balance"]["cancelled_fen"] == 2 * RENT_YEARLY_FEN
    )

    # a clawback: never above what was paid; partly recovered, the rest written off by another
    above = await client.post(
        f"/api/v1/hkmo/grants/{gid}/clawbacks",
        json={"amount_fen": RENT_YEARLY_FEN + 1, "reason": "虚报租金"},
        headers=clerk,
    )
    assert above.status_code == 422 and "amount_fen" in above.text
    owed = await _ok(
        await client.post(
            f"/api/v1/hkmo/grants/{gid}/clawbacks",
            json={"amount_fen": 200_000, "reason": "虚报租金"},
            headers=clerk,
        ),
        201,
    )
    assert (owed["state"], owed["outstanding_fen"]) == ("owed", 200_000)
    part = await _ok(await post(f"/clawbacks/{owed['id']}/recoveries", {"amount_fen": 50_000}, clerk), 201)
    assert (part["state"], part["outstanding_fen"]) == ("partly_recovered", 150_000)
    too_much = await post(f"/clawbacks/{owed['id']}/recoveries", {"amount_fen": 150_001}, clerk)
    assert too_much.status_code == 422
    done = await _ok(
        await client.post(
            f"/api/v1/hkmo/clawbacks/{owed['id']}/write-off",
            json={"reason": "当事人已离开本市,无法追回"},
            headers=reviewer,
        )
    )
    assert (done["state"], done["outstanding_fen"], done["written_off_fen"]) == ("written_off", 0, 150_000)

    grant = await _ok(await client.get(f"/api/v1/hkmo/grants/{gid}", headers=clerk))
    assert [e["kind"] for e in grant["ledger"]] == [
        "awarded", "released", "paid", "cancelled", "cancelled", "clawback_owed", "recovered", "written_off",
    ]  # fmt: skip
    assert grant["balance"]["net_paid_fen"] == RENT_YEARLY_FEN - 50_000
    assert grant["balance"]["outstanding_fen"] == 0
    assert await ledger_kinds(PENGJIANG, grant["id"]) == [
        (e["kind"], e["amount_fen"]) for e in grant["ledger"]
    ]
