"""Unmasking one field: the permission, a typed reason, an audit record without the value, the
clear value in that one answer only."""

from __future__ import annotations

import httpx

from renshe.accounts.principal import Role
from tests.registry.support import (
    api_headers,
    audit_records,
    enterprise_body,
    hkid,
    home_return_permit,
    mobile,
    person_body,
    prc_id,
    unit_id,
)

PEOPLE = "/api/v1/people"


async def test_unmask_needs_a_reason(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    person = (await client.post(PEOPLE, json=person_body(), headers=clerk)).json()
    for reason in ("", "  ", "abc"):
        answer = await client.post(
            f"{PEOPLE}/{person['id']}/unmask", json={"field": "mobile", "reason": reason}, headers=clerk
        )
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == ["reason"]
    unknown = await client.post(
        f"{PEOPLE}/{person['id']}/unmask", json={"field": "password", "reason": "核对信息"}, headers=clerk
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "field"
    assert [r["action"] for r in await audit_records(await unit_id("440703"), person["id"])] == [
        "person.registered"
    ]


async def test_unmask_with_reason_shows_the_value_and_audits_without_it(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    phone, number = mobile(), prc_id()
    body = person_body(documents=[{"type": "prc_id", "number": number}], mobile=phone)
    person = (await client.post(PEOPLE, json=body, headers=clerk)).json()
    url = f"{PEOPLE}/{person['id']}/unmask"
    shown = await client.post(url, json={"field": "mobile", "reason": "电话回访核实"}, headers=clerk)
    assert shown.status_code == 200 and shown.json() == {"field": "mobile", "value": phone}
    docs = await client.post(url, json={"field": "documents", "reason": "核对证件原件"}, headers=clerk)
    assert docs.json()["documents"][0]["number"] == number
    bank = await client.post(url, json={"field": "bank_account", "reason": "核对收款账户"}, headers=clerk)
    assert bank.json()["value"] == body["bank"]["account_number"]
    name = await client.post(url, json={"field": "name", "reason": "核对姓名"}, headers=clerk)
    assert name.json()["value"] == "陈美玲"
    # the record itself is still masked afterwards
    assert phone not in (await client.get(f"{PEOPLE}/{person['id']}", headers=clerk)).text
    records = await audit_records(await unit_id("440703"), person["id"])
    unmasked = [r for r in records if r["action"] == "person.unmasked"]
    assert len(unmasked) == 4
    assert "电话回访核实" in unmasked[0]["after"] and '"mobile"' in unmasked[0]["after"]
    everything = " ".join(f"{r['before']} {r['after']}" for r in records)
    for secret in (phone, number, body["bank"]["account_number"], "陈美玲"):
        assert secret not in everything


async def test_one_document_by_id(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    card, permit = hkid(), home_return_permit()
    person = (
        await client.post(
            PEOPLE,
            json=person_body(
                documents=[
                    {"type": "hkid", "number": card},
                    {"type": "home_return_permit", "number": permit},
                ],
                residency="hong_kong",
            ),
            headers=clerk,
        )
    ).json()
    second = person["documents"][1]["id"]
    shown = await client.post(
        f"{PEOPLE}/{person['id']}/unmask",
        json={"field": "documents", "document_id": second, "reason": "核对回乡证"},
        headers=clerk,
    )
    assert [d["number"] for d in shown.json()["documents"]] == [permit]


async def test_who_may_unmask(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    person = (await client.post(PEOPLE, json=person_body(), headers=clerk)).json()
    url = f"{PEOPLE}/{person['id']}/unmask"
    request = {"field": "mobile", "reason": "复核申请材料"}
    for role in (Role.REVIEWER, Role.FINANCE):
        assert (
            await client.post(url, json=request, headers=await api_headers("440703", role))
        ).status_code == 200
    for code, role in (
        ("440703", Role.DISTRICT_ADMIN),
        ("440700", Role.CITY_ANALYST),
        ("440700", Role.CITY_ADMIN),
    ):
        answer = await client.post(url, json=request, headers=await api_headers(code, role))
        assert answer.status_code == 403, (code, role)


async def test_enterprise_bank_account_and_legal_representative(client: httpx.AsyncClient) -> None:
    clerk = await api_headers("440703", Role.CLERK)
    body = enterprise_body()
    company = (await client.post("/api/v1/enterprises", json=body, headers=clerk)).json()
    assert company["legal_representative"] == "李*明"
    assert body["bank"]["account_number"] not in str(company)
    url = f"/api/v1/enterprises/{company['id']}/unmask"
    shown = await client.post(url, json={"field": "bank_account", "reason": "核对基本户"}, headers=clerk)
    assert shown.json()["value"] == body["bank"]["account_number"]
    rep = await client.post(url, json={"field": "legal_representative", "reason": "核对法人"}, headers=clerk)
    assert rep.json()["value"] == "李大明"
    other = await api_headers("440704", Role.CLERK)
    assert (
        await client.post(url, json={"field": "bank_account", "reason": "越权查看"}, headers=other)
    ).status_code == 404
