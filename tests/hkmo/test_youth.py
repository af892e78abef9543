"""The Hong Kong and Macao youth register through the API, as a clerk uses it: who can be
registered (a Hong Kong or Macao document, 45 or under, consent), the city-wide yes/no for a youth
registered in another district, the history of status changes, and a withdrawal of consent that
withholds the youth's personal fields from then on and is never given back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs.sync import sync_catalogue
from tests.hkmo.support import PENGJIANG, born_years_ago, hk_person, mainland_person
from tests.registry.support import api_headers, home_return_permit, unit_id
from tests.registry.support import client as new_client

pytestmark = pytest.mark.asyncio(loop_scope="session")
JIANGHAI = "440704"


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    async with new_client(create_app()) as c:
        yield c


def body(person_id: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "person_id": str(person_id), "school": "香港理工大学", "graduated_on": "2023-07-01",
        "status": "founder", "reached_via": "competition", "consent": True, **overrides,
    }  # fmt: skip


async def test_a_clerk_registers_a_hong_kong_graduate_and_changes_their_status(
    client: httpx.AsyncClient,
) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    person = await hk_person(born=born_years_ago(27))
    answer = await client.post("/api/v1/hkmo/youth", json=body(person), headers=clerk)
    assert answer.status_code == 201, answer.text
    youth = answer.json()
    assert (youth["status"], youth["age_at_registration"], youth["consent"]) == ("founder", 27, True)
    assert youth["name"] == "林*欣" and youth["school"] == "香港理工大学"  # masked like every list
    assert [e["kind"] for e in youth["history"]] == ["registered"]

    changed = await client.patch(
        f"/api/v1/hkmo/youth/{youth['id']}",
        json={"version": youth["version"], "status": "employed", "comment": "入职江门某科技公司"},
        headers=clerk,
    )
    assert changed.status_code == 200, changed.text
    assert [(e["kind"], e["from_status"], e["to_status"]) for e in changed.json()["history"]] == [
        ("registered", None, "founder"), ("status", "founder", "employed"),
    ]  # fmt: skip
    stale = await client.patch(
        f"/api/v1/hkmo/youth/{youth['id']}", json={"version": youth["version"], "status": "left"},
        headers=clerk,
    )  # fmt: skip
    assert stale.status_code == 409
    listed = await client.get("/api/v1/hkmo/youth", params={"status": "employed"}, headers=clerk)
    assert youth["id"] in [y["id"] for y in listed.json()["items"]]


@pytest.mark.parametrize(
    ("case", "field"),
    [("no HK/MO document", "person_id"), ("over 45", "person_id"), ("no consent", "consent")],
)
async def test_who_cannot_be_registered_is_told_which_field_and_why(
    client: httpx.AsyncClient, case: str, field: str
) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    if case == "no HK/MO document":
        person, extra = await mainland_person(), {}
    elif case == "over 45":
        person, extra = await hk_person(born=born_years_ago(46)), {}
    else:
        person, extra = await hk_person(), {"consent": False}
    answer = await client.post("/api/v1/hkmo/youth", json=body(person, **extra), headers=clerk)
    assert answer.status_code == 422, answer.text
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert set(errors) == {field}
    expected = {"no HK/MO document": "港澳证件", "over 45": "现年46岁", "no consent": "本人同意"}[case]
    assert expected in errors[field]
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        count = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM hkmo_youth WHERE tenant_id = $1 AND person_id = $2", tenant, person
        )
    assert count == 0  # nothing half-applied


async def test_a_youth_registered_in_another_district_is_refused_with_yes_or_no_only(
    client: httpx.AsyncClient,
) -> None:
    permit = home_return_permit()
    elsewhere = await hk_person(JIANGHAI, documents=[("home_return_permit", permit)], name="周慧敏")
    answer = await client.post(
        "/api/v1/hkmo/youth", json=body(elsewhere), headers=await api_headers(JIANGHAI, Role.CLERK)
    )
    assert answer.status_code == 201
    # Pengjiang knows the same youth by the same permit (renewed since: another issue number)
    here = await hk_person(documents=[("home_return_permit", permit + "01")], name="周慧敏")
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    refused = await client.post("/api/v1/hkmo/youth", json=body(here), headers=clerk)
    assert refused.status_code == 409
    assert "其他区" in refused.text and "江海" not in refused.text and "440704" not in refused.text
    again = await client.post("/api/v1/hkmo/youth", json=body(await hk_person()), headers=clerk)
    assert again.status_code == 201
    twice = await client.post("/api/v1/hkmo/youth", json=body(again.json()["person_id"]), headers=clerk)
    assert twice.status_code == 409 and "本区" in twice.text


async def test_a_withdrawn_consent_withholds_the_personal_fields_for_good(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    youth = (await client.post("/api/v1/hkmo/youth", json=body(await hk_person()), headers=clerk)).json()
    withdrawn = await client.patch(
        f"/api/v1/hkmo/youth/{youth['id']}",
        json={"version": youth["version"], "withdraw_consent": True, "comment": "本人书面撤回"},
        headers=clerk,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    for answer in (
        withdrawn.json(),
        (await client.get(f"/api/v1/hkmo/youth/{youth['id']}", headers=clerk)).json(),
        next(y for y in (await client.get("/api/v1/hkmo/youth", headers=clerk)).json()["items"]
             if y["id"] == youth["id"]),
    ):  # fmt: skip
        assert (answer["consent"], answer["name"], answer["school"], answer["graduated_on"]) == (
            False, "***", "***", None,
        )  # fmt: skip
    assert (await client.patch(
        f"/api/v1/hkmo/youth/{youth['id']}", json={"version": withdrawn.json()["version"], "status": "left"},
        headers=clerk,
    )).status_code == 409  # fmt: skip
    # and the database keeps it withdrawn whoever writes
    conn = await asyncpg.connect(admin_url)
    try:
        with pytest.raises(asyncpg.CheckViolationError, match="stays withdrawn"):
            await conn.execute("UPDATE hkmo_youth SET consent_withdrawn_at = NULL WHERE id = $1", youth["id"])
        with pytest.raises(asyncpg.CheckViolationError, match="age_at_registration"):
            await conn.execute("UPDATE hkmo_youth SET age_at_registration = 46 WHERE id = $1", youth["id"])
    finally:
        await conn.close()


async def test_the_list_pages_by_cursor_newest_first_and_refuses_a_forged_cursor(
    client: httpx.AsyncClient,
) -> None:
    clerk = await api_headers(JIANGHAI, Role.CLERK)
    for _ in range(3):
        made = await client.post("/api/v1/hkmo/youth", json=body(await hk_person(JIANGHAI)), headers=clerk)
        assert made.status_code == 201
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/hkmo/youth", params=params, headers=clerk)).json()
        assert len(page["items"]) <= 2
        seen += [y["id"] for y in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everyone = (await client.get("/api/v1/hkmo/youth", params={"limit": 200}, headers=clerk)).json()["items"]
    assert seen == [y["id"] for y in everyone] and len(seen) >= 3 and len(set(seen)) == len(seen)
    forged = await client.get("/api/v1/hkmo/youth", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=clerk)
    assert forged.status_code == 422 and "cursor" in forged.text


async def test_city_roles_see_no_youth(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    youth = (await client.post("/api/v1/hkmo/youth", json=body(await hk_person()), headers=clerk)).json()
    for role in (Role.CITY_ANALYST, Role.CITY_ADMIN):
        headers = await api_headers("440700", role)
        assert (await client.get("/api/v1/hkmo/youth", headers=headers)).status_code == 403
        assert (await client.get(f"/api/v1/hkmo/youth/{youth['id']}", headers=headers)).status_code == 403


async def test_age_counts_whole_years_to_the_birthday() -> None:
    from renshe.hkmo.youth import age_on

    assert age_on(date(1980, 12, 6), date(2026, 12, 5)) == 45
    assert age_on(date(1980, 12, 6), date(2026, 12, 6)) == 46
    assert age_on(date(2000, 2, 29), date(2026, 2, 28)) == 25
