"""People API as a district clerk uses it: register, validation in Chinese (English on request),
duplicates, warnings, optimistic locking, look-up, documents, lists."""

from __future__ import annotations

import httpx

from renshe.accounts.principal import Role
from tests.registry.support import (
    api_headers,
    hkid,
    home_return_permit,
    mobile,
    not_luhn_card,
    person_body,
    prc_id,
)

PEOPLE = "/api/v1/people"


async def _clerk(code: str = "440703", language: str | None = None) -> dict[str, str]:
    return await api_headers(code, Role.CLERK, language=language)


async def test_register_answers_201_with_masked_values_only(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    number, phone = prc_id("440703", male=True), mobile()
    body = person_body(documents=[{"type": "prc_id", "number": number}], mobile=phone)
    answer = await client.post(PEOPLE, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    person = answer.json()
    assert person["name"] == "陈*玲"
    assert person["documents"][0]["type"] == "prc_id"
    assert person["documents"][0]["number"] == number[:6] + "*" * 10 + number[-2:]
    assert person["mobile"] == phone[:3] + "****" + phone[-4:]
    account = body["bank"]["account_number"]
    assert person["bank"]["account_number"] == f"{account[:4]} **** **** {account[-4:]}"
    assert person["sex"] == "male" and person["birth_year"] == int(number[6:10])
    assert person["district"] == "440703" and person["version"] == 1
    for secret in (number, phone, account, "陈美玲"):
        assert secret not in answer.text
    # and GET one answers the same
    again = await client.get(f"{PEOPLE}/{person['id']}", headers=headers)
    assert again.status_code == 200 and again.json() == person


async def test_invalid_document_is_422_naming_the_field_in_chinese_by_default(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(
        PEOPLE,
        json=person_body(documents=[{"type": "prc_id", "number": "110105194912310021"}]),
        headers=await _clerk(),
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 422
    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert "documents[0].number" in fields
    assert "校验" in fields["documents[0].number"] or "核对" in fields["documents[0].number"]
    assert "110105194912310021" not in answer.text


async def test_messages_switch_to_english(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        PEOPLE,
        json=person_body(documents=[{"type": "hkid", "number": "A123456(4)"}], residency="hong_kong"),
        headers=await _clerk(language="en"),
    )
    assert answer.status_code == 422
    errors = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert errors["documents[0].number"].startswith("Wrong check character")


async def test_every_bad_field_is_listed_at_once(client: httpx.AsyncClient) -> None:
    body = person_body(
        name="",
        mobile="12812345678",
        documents=[{"type": "prc_id", "number": prc_id()}, {"type": "licence", "number": "x"}],
        bank={"account_number": "12ab"},
        education="phd",
    )
    answer = await client.post(PEOPLE, json=body, headers=await _clerk())
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"name", "mobile", "documents[1].type", "bank.account_number", "education"} <= fields


async def test_entered_sex_and_birth_date_must_agree_with_the_id_number(client: httpx.AsyncClient) -> None:
    number = prc_id(male=False)
    answer = await client.post(
        PEOPLE,
        json=person_body(
            documents=[{"type": "prc_id", "number": number}], sex="male", birth_date="1959-01-01"
        ),
        headers=await _clerk(),
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"sex", "birth_date"}


async def test_residency_must_match_the_documents(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        PEOPLE,
        json=person_body(documents=[{"type": "hkid", "number": hkid()}], residency="macao"),
        headers=await _clerk(),
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["residency"]
    # left out, it is read from the documents
    ok = await client.post(
        PEOPLE,
        json=person_body(
            documents=[
                {"type": "hkid", "number": hkid()},
                {"type": "home_return_permit", "number": home_return_permit()},
            ],
            residency=None,
        ),
        headers=await _clerk(),
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["residency"] == "hong_kong" and len(ok.json()["documents"]) == 2


async def test_duplicate_document_is_409_with_the_existing_id(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    number = prc_id()
    first = await client.post(
        PEOPLE, json=person_body(documents=[{"type": "prc_id", "number": number}]), headers=headers
    )
    assert first.status_code == 201
    again = await client.post(
        PEOPLE,
        json=person_body(name="王小明", documents=[{"type": "prc_id", "number": number.lower()}]),
        headers=headers,
    )
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["status"] == 409 and problem["existing_id"] == first.json()["id"]
    assert number not in again.text
    # a renewed home-return permit is the same lifetime number: the same person
    permit = home_return_permit("M")
    made = await client.post(
        PEOPLE,
        json=person_body(documents=[{"type": "home_return_permit", "number": permit}], residency="macao"),
        headers=headers,
    )
    renewed = await client.post(
        PEOPLE,
        json=person_body(
            documents=[{"type": "home_return_permit", "number": permit + "02"}], residency="macao"
        ),
        headers=headers,
    )
    assert renewed.status_code == 409 and renewed.json()["existing_id"] == made.json()["id"]
    # nothing half-registered: still exactly one person with that number
    found = await client.post(f"{PEOPLE}/lookup", json={"type": "prc_id", "number": number}, headers=headers)
    assert found.json()["id"] == first.json()["id"]


async def test_luhn_failure_is_a_warning_to_confirm(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    body = person_body(bank={"account_number": not_luhn_card(), "bank_name": "农村商业银行"})
    warned = await client.post(PEOPLE, json=body, headers=headers)
    assert warned.status_code == 422
    problem = warned.json()
    assert problem["confirm_warnings_required"] is True
    assert [e["field"] for e in problem["errors"]] == ["bank.account_number"]
    assert "Luhn" in problem["errors"][0]["message"]
    confirmed = await client.post(PEOPLE, json=body | {"confirm_warnings": True}, headers=headers)
    assert confirmed.status_code == 201, confirmed.text


async def test_patch_with_version_and_stale_edit_is_409(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    person = (await client.post(PEOPLE, json=person_body(), headers=headers)).json()
    url = f"{PEOPLE}/{person['id']}"
    new_phone = mobile()
    changed = await client.patch(
        url, json={"version": 1, "mobile": new_phone, "education": "bachelor"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (
        changed.json()["version"] == 2 and changed.json()["mobile"] == new_phone[:3] + "****" + new_phone[-4:]
    )
    assert changed.json()["education"] == "bachelor"
    stale = await client.patch(url, json={"version": 1, "notes": "late edit"}, headers=headers)
    assert stale.status_code == 409
    assert "version" not in stale.json() and stale.json()["detail"]
    assert (await client.get(url, headers=headers)).json()["notes"] is None
    cleared = await client.patch(url, json={"version": 2, "mobile": None}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["mobile"] is None


async def test_patch_refuses_bad_values_and_keeps_the_record(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    number = prc_id(male=True)
    person = (
        await client.post(
            PEOPLE, json=person_body(documents=[{"type": "prc_id", "number": number}]), headers=headers
        )
    ).json()
    url = f"{PEOPLE}/{person['id']}"
    answer = await client.patch(
        url, json={"version": 1, "sex": "female", "residency": "taiwan"}, headers=headers
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"sex", "residency"}
    assert (await client.get(url, headers=headers)).json()["version"] == 1


async def test_lookup_by_any_document_of_the_person(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    card, permit = hkid(), home_return_permit()
    made = await client.post(
        PEOPLE,
        json=person_body(documents=[{"type": "hkid", "number": card}], residency="hong_kong"),
        headers=headers,
    )
    person_id = made.json()["id"]
    added = await client.post(
        f"{PEOPLE}/{person_id}/documents",
        json={"type": "home_return_permit", "number": permit, "version": 1},
        headers=headers,
    )
    assert added.status_code == 201, added.text
    assert [d["type"] for d in added.json()["documents"]] == ["hkid", "home_return_permit"]
    for doc_type, number in (
        ("hkid", card.replace("(", "").replace(")", "")),
        ("home_return_permit", permit),
    ):
        found = await client.post(
            f"{PEOPLE}/lookup", json={"type": doc_type, "number": number}, headers=headers
        )
        assert found.status_code == 200 and found.json()["id"] == person_id
    # removing the HKID leaves the permit; the HKID then finds nobody
    hkid_doc = added.json()["documents"][0]["id"]
    removed = await client.delete(f"{PEOPLE}/{person_id}/documents/{hkid_doc}", headers=headers)
    assert removed.status_code == 200 and len(removed.json()["documents"]) == 1
    gone = await client.post(f"{PEOPLE}/lookup", json={"type": "hkid", "number": card}, headers=headers)
    assert gone.status_code == 404
    last = removed.json()["documents"][0]["id"]
    refused = await client.delete(f"{PEOPLE}/{person_id}/documents/{last}", headers=headers)
    assert refused.status_code == 422


async def test_a_document_of_another_person_here_cannot_be_added(client: httpx.AsyncClient) -> None:
    headers = await _clerk()
    number = prc_id()
    owner = (
        await client.post(
            PEOPLE, json=person_body(documents=[{"type": "prc_id", "number": number}]), headers=headers
        )
    ).json()
    other = (
        await client.post(
            PEOPLE,
            json=person_body(documents=[{"type": "passport", "number": "E12345678"}], residency="foreign"),
            headers=headers,
        )
    ).json()
    answer = await client.post(
        f"{PEOPLE}/{other['id']}/documents", json={"type": "prc_id", "number": number}, headers=headers
    )
    # a mainland ID on a foreign resident disagrees first; a second passport collides
    assert answer.status_code == 422
    twice = await client.post(
        PEOPLE,
        json=person_body(documents=[{"type": "passport", "number": "E12345678"}], residency="foreign"),
        headers=headers,
    )
    assert twice.status_code == 409 and twice.json()["existing_id"] == other["id"]
    assert owner["id"] != other["id"]


async def test_list_filters_and_cursor_pagination(client: httpx.AsyncClient) -> None:
    headers = await _clerk("440705")
    made = []
    for name in ("欧阳小明", "欧阳小红", "欧阳小刚"):
        answer = await client.post(
            PEOPLE,
            json=person_body(name=name, documents=[{"type": "prc_id", "number": prc_id("440705")}]),
            headers=headers,
        )
        made.append(answer.json()["id"])
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "name_prefix": "欧阳", "document_type": "prc_id", "residency": "mainland"}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(PEOPLE, params=params, headers=headers)
        assert page.status_code == 200, page.text
        seen += [p["id"] for p in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert seen[:3] == list(reversed(made))  # newest first, each once
    assert len(seen) == len(set(seen))
    none = await client.get(PEOPLE, params={"document_type": "hkid", "name_prefix": "欧阳"}, headers=headers)
    assert none.json()["items"] == []
    bad = await client.get(PEOPLE, params={"residency": "mars"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "residency"
    too_many = await client.get(PEOPLE, params={"limit": 500}, headers=headers)
    assert too_many.status_code == 422


async def test_reviewer_reads_but_cannot_write(client: httpx.AsyncClient) -> None:
    reviewer = await api_headers("440703", Role.REVIEWER)
    listing = await client.get(PEOPLE, headers=reviewer)
    assert listing.status_code == 200
    assert (await client.post(PEOPLE, json=person_body(), headers=reviewer)).status_code == 403
    assert (await client.get(PEOPLE)).status_code == 401


async def test_the_api_is_in_openapi(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/schema/openapi.json")).json()
    for path in (
        "/api/v1/people",
        "/api/v1/people/lookup",
        "/api/v1/people/{person_id}",
        "/api/v1/people/{person_id}/unmask",
        "/api/v1/enterprises",
        "/api/v1/links",
    ):
        assert path in schema["paths"], path
    assert {"post", "get"} <= set(schema["paths"]["/api/v1/people"])
    assert "patch" in schema["paths"]["/api/v1/people/{person_id}"]
