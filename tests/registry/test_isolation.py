"""Cross-district attacks on every registry endpoint: another district's person or enterprise
must look exactly like one that does not exist — by id, by document, in lists, as a link target —
and the same document may be registered by each district independently."""

from __future__ import annotations

import uuid

import httpx

from renshe.accounts.principal import Role
from tests.registry.support import (
    api_headers,
    enterprise_body,
    person_body,
    prc_id,
    without_request_id,
)
from tests.supervision import support as supervision

PEOPLE = "/api/v1/people"
A, B = "440703", "440704"


async def test_the_same_document_in_another_district_is_not_a_conflict(client: httpx.AsyncClient) -> None:
    clerk_a, clerk_b = await api_headers(A, Role.CLERK), await api_headers(B, Role.CLERK)
    number = prc_id("440703")
    in_b = await client.post(
        PEOPLE, json=person_body(documents=[{"type": "prc_id", "number": number}]), headers=clerk_b
    )
    assert in_b.status_code == 201
    in_a = await client.post(
        PEOPLE, json=person_body(documents=[{"type": "prc_id", "number": number}]), headers=clerk_a
    )
    assert in_a.status_code == 201, in_a.text
    assert in_a.json()["id"] != in_b.json()["id"]
    found_a = await client.post(
        f"{PEOPLE}/lookup", json={"type": "prc_id", "number": number}, headers=clerk_a
    )
    assert found_a.json()["id"] == in_a.json()["id"]


async def test_lookup_of_a_document_known_only_elsewhere_is_exactly_not_found(
    client: httpx.AsyncClient,
) -> None:
    clerk_a, clerk_b = await api_headers(A, Role.CLERK), await api_headers(B, Role.CLERK)
    elsewhere, nowhere = prc_id("440704"), prc_id("440704")
    assert (
        await client.post(
            PEOPLE, json=person_body(documents=[{"type": "prc_id", "number": elsewhere}]), headers=clerk_b
        )
    ).status_code == 201
    known = await client.post(
        f"{PEOPLE}/lookup", json={"type": "prc_id", "number": elsewhere}, headers=clerk_a
    )
    unknown = await client.post(
        f"{PEOPLE}/lookup", json={"type": "prc_id", "number": nowhere}, headers=clerk_a
    )
    assert known.status_code == unknown.status_code == 404
    assert without_request_id(known.json()) == without_request_id(unknown.json())
    assert dict(known.headers).keys() == dict(unknown.headers).keys()
    assert elsewhere not in known.text


async def test_another_districts_records_by_id_are_not_found(client: httpx.AsyncClient) -> None:
    clerk_a, clerk_b = await api_headers(A, Role.CLERK), await api_headers(B, Role.CLERK)
    victim = (await client.post(PEOPLE, json=person_body(), headers=clerk_b)).json()
    company = (await client.post("/api/v1/enterprises", json=enterprise_body(), headers=clerk_b)).json()
    missing = str(uuid.uuid4())

    async def both(method: str, path: str, **kwargs: object) -> None:
        real = await client.request(method, path.format(victim["id"]), headers=clerk_a, **kwargs)  # type: ignore[arg-type]
        fake = await client.request(method, path.format(missing), headers=clerk_a, **kwargs)  # type: ignore[arg-type]
        assert real.status_code == fake.status_code == 404, (method, path, real.text)
        assert without_request_id(real.json()) | {"instance": ""} == without_request_id(fake.json()) | {
            "instance": ""
        }

    await both("GET", PEOPLE + "/{}")
    await both("PATCH", PEOPLE + "/{}", json={"version": 1, "notes": "x"})
    await both("POST", PEOPLE + "/{}/unmask", json={"field": "mobile", "reason": "核对身份信息"})
    await both("POST", PEOPLE + "/{}/documents", json={"type": "prc_id", "number": prc_id()})
    await both("GET", PEOPLE + "/{}/links")
    assert "id" in company, company
    real = await client.get(f"/api/v1/enterprises/{company['id']}", headers=clerk_a)
    fake = await client.get(f"/api/v1/enterprises/{missing}", headers=clerk_a)
    assert real.status_code == fake.status_code == 404
    patched = await client.patch(
        f"/api/v1/enterprises/{company['id']}", json={"version": 1, "name": "x"}, headers=clerk_a
    )
    assert patched.status_code == 404
    # and nothing changed in B
    still = await client.get(f"{PEOPLE}/{victim['id']}", headers=clerk_b)
    assert still.json()["version"] == 1 and still.json()["notes"] is None


async def test_linking_to_another_districts_enterprise_is_not_found(client: httpx.AsyncClient) -> None:
    clerk_a, clerk_b = await api_headers(A, Role.CLERK), await api_headers(B, Role.CLERK)
    mine = (await client.post(PEOPLE, json=person_body(), headers=clerk_a)).json()
    theirs = (await client.post("/api/v1/enterprises", json=enterprise_body(), headers=clerk_b)).json()
    attack = await client.post(
        "/api/v1/links",
        json={"person_id": mine["id"], "enterprise_id": theirs["id"], "role": "founder"},
        headers=clerk_a,
    )
    fake = await client.post(
        "/api/v1/links",
        json={"person_id": mine["id"], "enterprise_id": str(uuid.uuid4()), "role": "founder"},
        headers=clerk_a,
    )
    assert attack.status_code == fake.status_code == 404
    assert without_request_id(attack.json()) == without_request_id(fake.json())
    own = (await client.post("/api/v1/enterprises", json=enterprise_body(), headers=clerk_a)).json()
    ok = await client.post(
        "/api/v1/links",
        json={"person_id": mine["id"], "enterprise_id": own["id"], "role": "founder", "since": "2022-01-01"},
        headers=clerk_a,
    )
    assert ok.status_code == 201, ok.text
    assert (await client.get(f"{PEOPLE}/{mine['id']}/links", headers=clerk_a)).json()["items"][0][
        "role"
    ] == "founder"
    # B's clerk cannot end or delete A's link
    link_id = ok.json()["id"]
    assert (
        await client.patch(f"/api/v1/links/{link_id}", json={"until": "2023-01-01"}, headers=clerk_b)
    ).status_code == 404
    assert (await client.delete(f"/api/v1/links/{link_id}", headers=clerk_b)).status_code == 404
    ended = await client.patch(f"/api/v1/links/{link_id}", json={"until": "2023-01-01"}, headers=clerk_a)
    assert ended.status_code == 200 and ended.json()["until"] == "2023-01-01"


async def test_lists_never_show_another_district(client: httpx.AsyncClient) -> None:
    clerk_a, clerk_b = await api_headers(A, Role.CLERK), await api_headers(B, Role.CLERK)
    theirs = (await client.post(PEOPLE, json=person_body(name="隔离测试"), headers=clerk_b)).json()
    seen = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 200, "name_prefix": "隔离"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(PEOPLE, params=params, headers=clerk_a)).json()
        seen += [p["id"] for p in page["items"]]
        assert all(p["district"] == A for p in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert theirs["id"] not in seen


async def test_city_roles_read_no_person_and_a_supervisor_writes_nothing(client: httpx.AsyncClient) -> None:
    """Aggregates only (01-platform §4): the analyst reads nobody; the city administrator reads
    one district under supervision (tests/supervision), and even then changes nothing."""
    clerk_a, clerk_b = await api_headers(A, Role.CLERK), await api_headers(B, Role.CLERK)
    analyst = await api_headers("440700", Role.CITY_ANALYST)
    in_a = (await client.post(PEOPLE, json=person_body(name="市局可见"), headers=clerk_a)).json()
    in_b = (await client.post(PEOPLE, json=person_body(name="市局可见"), headers=clerk_b)).json()
    assert (await client.get(PEOPLE, params={"name_prefix": "市局可见"}, headers=analyst)).status_code == 403
    assert (await client.get(f"{PEOPLE}/{in_b['id']}", headers=analyst)).status_code == 403
    _, supervisor = await supervision.supervisor(A)
    page = await client.get(PEOPLE, params={"name_prefix": "市局可见", "limit": 200}, headers=supervisor)
    assert in_a["id"] in {p["id"] for p in page.json()["items"]}
    assert in_b["id"] not in {p["id"] for p in page.json()["items"]}
    for who in (analyst, supervisor):
        assert (
            await client.patch(f"{PEOPLE}/{in_a['id']}", json={"version": 1, "notes": "x"}, headers=who)
        ).status_code == 403
        assert (await client.post(PEOPLE, json=person_body(), headers=who)).status_code == 403
        assert (
            await client.post(
                f"{PEOPLE}/{in_a['id']}/unmask", json={"field": "mobile", "reason": "统计核对"}, headers=who
            )
        ).status_code == 403
        assert (
            await client.post("/api/v1/enterprises", json=enterprise_body(), headers=who)
        ).status_code == 403
