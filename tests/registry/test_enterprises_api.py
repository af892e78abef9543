"""Enterprises API: credit-code validation, duplicates per district, edits, look-up, links."""

from __future__ import annotations

import httpx

from renshe.accounts.principal import Role
from tests.registry.support import api_headers, credit_code, enterprise_body, luhn_card, person_body

ENTERPRISES = "/api/v1/enterprises"


async def test_register_edit_and_look_up(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440781", Role.CLERK)
    code = credit_code("440781")
    made = await client.post(ENTERPRISES, json=enterprise_body(uscc=code.lower()), headers=clerk)
    assert made.status_code == 201, made.text
    company = made.json()
    assert company["uscc"] == code and company["registered_district"] == "440781"
    assert company["bank"]["account_number"].startswith("4402 **** **** ")
    found = await client.post(f"{ENTERPRISES}/lookup", json={"uscc": code}, headers=clerk)
    assert found.json()["id"] == company["id"]
    changed = await client.patch(
        f"{ENTERPRISES}/{company['id']}", json={"version": 1, "name": "江门市新名称有限公司"}, headers=clerk
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = await client.patch(
        f"{ENTERPRISES}/{company['id']}", json={"version": 1, "notes": "x"}, headers=clerk
    )
    assert stale.status_code == 409
    refused = await client.patch(
        f"{ENTERPRISES}/{company['id']}", json={"version": 2, "uscc": credit_code()}, headers=clerk
    )
    assert refused.status_code in (400, 422)  # the credit code identifies the enterprise


async def test_an_account_in_a_persons_name_is_masked(client: httpx.AsyncClient) -> None:
    """A sole proprietor's account is often in the owner's own name: that name is masked; the
    enterprise's own (public) name is shown as it is."""
    clerk = await api_headers("440781", Role.CLERK)
    bank = {"account_number": luhn_card("4402"), "account_name": "李大明", "bank_name": "中国银行江门分行"}
    body = enterprise_body(uscc=credit_code("440781"), bank=bank)
    made = await client.post(ENTERPRISES, json=body, headers=clerk)
    assert made.status_code == 201, made.text
    shown = await client.get(f"{ENTERPRISES}/{made.json()['id']}", headers=clerk)
    assert shown.json()["bank"]["account_name"] == "李*明" and "李大明" not in shown.text
    own = await client.post(ENTERPRISES, json=enterprise_body(uscc=credit_code("440781")), headers=clerk)
    assert own.json()["bank"]["account_name"] == "江门市测试科技有限公司"


async def test_invalid_and_duplicate_credit_codes(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440781", Role.CLERK)
    bad = await client.post(ENTERPRISES, json=enterprise_body(uscc="91110000600037341X"), headers=clerk)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "uscc"
    code = credit_code("440781")
    first = await client.post(ENTERPRISES, json=enterprise_body(uscc=code), headers=clerk)
    again = await client.post(ENTERPRISES, json=enterprise_body(uscc=code, name="另一家"), headers=clerk)
    assert again.status_code == 409 and again.json()["existing_id"] == first.json()["id"]
    # the same enterprise may be registered by another district (e.g. a branch office's payments)
    elsewhere = await client.post(
        ENTERPRISES, json=enterprise_body(uscc=code), headers=await api_headers("440783", Role.CLERK)
    )
    assert elsewhere.status_code == 201


async def test_founder_and_employee_links(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440781", Role.CLERK)
    company = (
        await client.post(ENTERPRISES, json=enterprise_body(uscc=credit_code("440781")), headers=clerk)
    ).json()
    founder = (await client.post("/api/v1/people", json=person_body(), headers=clerk)).json()
    worker = (await client.post("/api/v1/people", json=person_body(name="黄志强"), headers=clerk)).json()
    for person, role in ((founder, "founder"), (worker, "employee")):
        made = await client.post(
            "/api/v1/links",
            json={
                "person_id": person["id"],
                "enterprise_id": company["id"],
                "role": role,
                "since": "2023-03-01",
            },
            headers=clerk,
        )
        assert made.status_code == 201, made.text
    twice = await client.post(
        "/api/v1/links",
        json={"person_id": worker["id"], "enterprise_id": company["id"], "role": "employee"},
        headers=clerk,
    )
    assert twice.status_code == 409
    wrong = await client.post(
        "/api/v1/links",
        json={"person_id": worker["id"], "enterprise_id": company["id"], "role": "boss"},
        headers=clerk,
    )
    assert wrong.status_code == 422
    listed = (await client.get(f"{ENTERPRISES}/{company['id']}/links", headers=clerk)).json()["items"]
    assert sorted(x["role"] for x in listed) == ["employee", "founder"]
    assert {x["person_name"] for x in listed} == {"陈*玲", "黄*强"}
    link_id = next(x["id"] for x in listed if x["role"] == "employee")
    assert (await client.delete(f"/api/v1/links/{link_id}", headers=clerk)).status_code == 204
    assert len((await client.get(f"{ENTERPRISES}/{company['id']}/links", headers=clerk)).json()["items"]) == 1
