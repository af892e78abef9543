"""The applications API over HTTP: create → submit → approve with versions, stale 409, the
maker-checker 403, history, list filters and cursor, objections, and another district's 404."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.subsidies.programs.sync import sync_catalogue
from tests.registry.support import api_headers
from tests.registry.support import client as new_client
from tests.subsidies.applications_support import (
    JIANGHAI,
    PENGJIANG,
    RETURNED,
    STARTUP,
    STARTUP_FEN,
    admin_execute,
    budget_room,
    person,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None, admin_url: str) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.subsidies.applications.store import today
    from renshe.web.app import create_app

    await sync_catalogue()
    await budget_room(admin_url, PENGJIANG, STARTUP, today().year, 50 * STARTUP_FEN)
    async with new_client(create_app()) as c:
        yield c


async def _created(client: httpx.AsyncClient, clerk: dict[str, str]) -> dict[str, Any]:
    body = {"program_code": STARTUP, "person_id": str(await person()), "facts": RETURNED}
    answer = await client.post("/api/v1/applications", json=body, headers=clerk)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def test_create_submit_approve_with_history(client: httpx.AsyncClient, admin_url: str) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    reviewer = await api_headers(PENGJIANG, Role.REVIEWER)
    app = await _created(client, clerk)
    assert (app["state"], app["amount_fen"], app["version"]) == ("draft", STARTUP_FEN, 1)
    assert app["evaluation"]["eligible"] is True
    assert re.fullmatch(r"SQ440703-20[0-9]{2}-[0-9]{6}", app["number"])  # what people say on the phone

    url = f"/api/v1/applications/{app['id']}"
    sub = await client.post(f"{url}/submit", json={"version": 1, "comment": "齐全"}, headers=clerk)
    assert sub.status_code == 200 and sub.json()["state"] == "submitted"
    stale = await client.post(f"{url}/approve", json={"version": 1}, headers=reviewer)
    assert stale.status_code == 409
    not_clerks = await client.post(f"{url}/approve", json={"version": 2}, headers=clerk)
    assert not_clerks.status_code == 403  # a clerk has no reviewer role
    done = await client.post(f"{url}/approve", json={"version": 2, "comment": "同意"}, headers=reviewer)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "in_notice" and body["policy_version_id"] and body["payee_account_masked"]
    assert body["payee_name_masked"] != "陈美玲"
    one = (await client.get(url, headers=reviewer)).json()
    assert one["number"] == body["number"] == app["number"]  # never changes
    assert [h["to_state"] for h in one["history"]] == ["draft", "submitted", "approved", "in_notice"]
    assert one["history"][2]["comment"] == "同意"
    # who did each step: the username as before, and beside it the name pages show
    await admin_execute(
        admin_url,
        """UPDATE users SET display_name = '王审核' WHERE id = (SELECT actor_user_id FROM application_events
           WHERE application_id = $1::uuid AND to_state = 'approved')""",
        app["id"],
    )
    step = (await client.get(url, headers=reviewer)).json()["history"][2]
    assert step["actor"].startswith("r_reviewer_") and step["actor_name"] == "王审核"
    assert one["history"][0]["actor_name"] == one["history"][0]["actor"]  # no display name: the username


async def test_list_filters_and_cursor(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    made = {(await _created(client, clerk))["id"] for _ in range(3)}
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        params: dict[str, Any] = {"state": "draft", "program": STARTUP, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/applications", params=params, headers=clerk)).json()
        assert all(i["state"] == "draft" for i in page["items"])
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert made <= set(seen) and len(seen) == len(set(seen))
    other = await client.get("/api/v1/applications", params={"state": "paid"}, headers=clerk)
    assert not made & {i["id"] for i in other.json()["items"]}


async def test_objections_over_the_api(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    reviewer = await api_headers(PENGJIANG, Role.REVIEWER)
    app = await _created(client, clerk)
    url = f"/api/v1/applications/{app['id']}"
    await client.post(f"{url}/submit", json={"version": 1}, headers=clerk)
    await client.post(f"{url}/approve", json={"version": 2}, headers=reviewer)
    raised = await client.post(
        f"{url}/objections", json={"raised_by": "王女士", "content": "并非本人创业"}, headers=clerk
    )
    assert raised.status_code == 201, raised.text
    assert (await client.get(url, headers=clerk)).json()["state"] == "on_hold"
    listed = (await client.get(f"{url}/objections", headers=reviewer)).json()["items"]
    assert [o["content"] for o in listed] == ["并非本人创业"]
    resolved = await client.post(
        f"/api/v1/objections/{raised.json()['id']}/resolve",
        json={"resolution": "upheld", "comment": "核实属实"},
        headers=reviewer,
    )
    assert resolved.status_code == 200 and resolved.json()["state"] == "rejected"


async def test_another_district_gets_404(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    app = await _created(client, clerk)
    url = f"/api/v1/applications/{app['id']}"
    foreign_clerk = await api_headers(JIANGHAI, Role.CLERK)
    foreign_reviewer = await api_headers(JIANGHAI, Role.REVIEWER)
    assert (await client.get(url, headers=foreign_reviewer)).status_code == 404
    assert (await client.post(f"{url}/submit", json={"version": 1}, headers=foreign_clerk)).status_code == 404
    assert (await client.get(f"{url}/objections", headers=foreign_reviewer)).status_code == 404
    listed = (await client.get("/api/v1/applications", headers=foreign_reviewer)).json()["items"]
    assert app["id"] not in {i["id"] for i in listed}
    # nor can a clerk there apply for our person
    body = {"program_code": STARTUP, "person_id": app["person_id"], "facts": RETURNED}
    assert (await client.post("/api/v1/applications", json=body, headers=foreign_clerk)).status_code == 404


async def test_a_talent_card_tier_is_not_a_subsidy_to_apply_for(client: httpx.AsyncClient) -> None:
    """Tiers are programs too (family talent_card), but pay nothing: the subsidy path does not know them."""
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    body = {
        "program_code": "talent_card_b",
        "person_id": str(await person()),
        "facts": {"qualifications": ["doctorate"], "social_insurance_months": 12},
    }
    answer = await client.post("/api/v1/applications", json=body, headers=clerk)
    assert answer.status_code in (404, 422), answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/api/v1/programs/talent_card_b", headers=clerk)).status_code == 404


async def test_a_hong_kong_and_macao_grant_is_not_a_subsidy_to_apply_for(client: httpx.AsyncClient) -> None:
    """HK/MO programs pay through their grants' tranches (renshe.hkmo): the subsidy path refuses
    them at the program, stores nothing, and the new-application page does not offer them — the
    money has one way in."""
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    someone = await person()
    body = {"program_code": "hkmo_interview", "person_id": str(someone), "facts": {"trips": 1}}
    answer = await client.post("/api/v1/applications", json=body, headers=clerk)
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["program_code"]
    assert answer.headers["content-type"].startswith("application/problem+json")
    listed = (await client.get("/api/v1/applications?limit=200", headers=clerk)).json()["items"]
    assert not [i for i in listed if i["person_id"] == str(someone)]  # nothing stored
