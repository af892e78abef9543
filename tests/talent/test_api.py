"""The talent-card API and the verification page end to end (issue 10 §8, "done means"): a clerk
applies, a reviewer approves, "issue now" issues, the clerk downloads the PNG (its QR decodes to
the card's URL) and the PDF, anyone opens the URL and reads "valid"; revoking makes it "revoked"
at once online and, once the district's list is republished, in the list a verifier caches."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from renshe import clock
from renshe.accounts.principal import Role
from renshe.jobs import runner
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import status_lists, tokens
from tests.registry.support import api_headers, unit_id
from tests.registry.support import client as new_client
from tests.talent.support import JIANGHAI, PENGJIANG, parties

pytestmark = pytest.mark.asyncio(loop_scope="session")
UUID_RE = r"[0-9a-f-]{36}"


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    await sync_catalogue()
    async with new_client(create_app()) as c:
        yield c


def body(person_id: Any, employer_id: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "person_id": str(person_id), "employer_id": str(employer_id), "tier_claimed": "B",
        "social_insurance_months": 24, "qualifications": ["doctorate"],
        "contract_end": (clock.today() + timedelta(days=2000)).isoformat(), **overrides,
    }  # fmt: skip


async def step(client: httpx.AsyncClient, headers: dict[str, str], app: dict[str, Any], action: str,
               **extra: Any) -> dict[str, Any]:  # fmt: skip
    answer = await client.post(
        f"/api/v1/talent-cards/applications/{app['id']}/{action}",
        json={"version": app["version"], **extra}, headers=headers,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def issued_card(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """A card issued through the API; (card, clerk headers, reviewer headers)."""
    clerk, reviewer = await api_headers(PENGJIANG, Role.CLERK), await api_headers(PENGJIANG, Role.REVIEWER)
    person_id, employer_id = await parties()
    answer = await client.post(
        "/api/v1/talent-cards/applications", json=body(person_id, employer_id), headers=clerk
    )
    assert answer.status_code == 201, answer.text
    app = answer.json()
    assert app["state"] == "draft" and app["version"] == 1 and app["evaluation"]["tiers"]["B"]["eligible"]
    app = await step(client, clerk, app, "confirm-employer", comment="人事部 李经理")
    app = await step(client, clerk, app, "submit")
    app = await step(client, reviewer, app, "approve", tier="B", comment="同意")
    assert app["state"] == "approved"

    started = await client.post("/api/v1/talent-cards/issue-now", headers=reviewer)
    assert started.status_code == 202, started.text
    tenant = await unit_id(PENGJIANG)
    from uuid import UUID

    assert await runner.run(tenant, UUID(started.json()["job_id"]), worker="api-test") == "succeeded"
    listed = await client.get(f"/api/v1/talent-cards?person_id={person_id}", headers=clerk)
    assert listed.status_code == 200, listed.text
    [card] = listed.json()["items"]
    return card, clerk, reviewer


async def test_apply_approve_issue_download_and_verify(client: httpx.AsyncClient) -> None:
    card, clerk, reviewer = await issued_card(client)
    assert (card["state"], card["tier"], card["holder_masked"]) == ("active", "B", "欧阳*明")
    assert re.fullmatch(r"QD440703\d{4}\d{6}[0-9X]", card["card_no"])
    assert card["verify_url"].endswith("/verify/" + card["verify_url"].rsplit("/", 1)[1])

    png = await client.get(f"/api/v1/talent-cards/{card['card_no']}/card.png", headers=clerk)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert code.text == card["verify_url"]  # the printed QR opens this card's page
    pdf = await client.get(f"/api/v1/talent-cards/{card['card_no']}/card.pdf", headers=clerk)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # a file with the holder's name in clear: each download is in the audit log
    tenant_id = await unit_id(PENGJIANG)
    from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction

    async with tenant_transaction(TenantContext.district(tenant_id)):
        formats = await current_transaction().connection.fetch(
            """SELECT after ->> 'format' AS f FROM audit_log
               WHERE tenant_id = $1 AND action = 'talent_card.downloaded' AND after ->> 'card_no' = $2""",
            tenant_id,
            card["card_no"],
        )
    assert sorted(r["f"] for r in formats) == ["pdf", "png"]

    path = "/verify/" + card["verify_url"].rsplit("/verify/", 1)[1]
    page = await client.get(path)  # anyone, no login
    assert page.status_code == 200, page.text
    assert 'data-verdict="valid"' in page.text and "欧阳*明" in page.text and "欧阳小明" not in page.text

    revoked = await client.post(f"/api/v1/talent-cards/{card['card_no']}/revoke",
                                json={"reason": "已离开本市"}, headers=reviewer)  # fmt: skip
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked", revoked.text
    assert 'data-verdict="revoked"' in (await client.get(path)).text  # at once, online

    # the list a verifier caches says so once the publication job (enqueued by the revocation) ran
    tenant = await unit_id(PENGJIANG)
    from renshe.talent import publishing

    await publishing.publish_in_own_transaction(tenant)
    document = (await client.get(f"/verify/status/{PENGJIANG}")).json()
    keys = {k["kid"]: k for k in (await client.get("/verify/keys")).json()["keys"]}
    from renshe.talent import signing_keys

    lookup = signing_keys.lookup(
        [
            signing_keys.PublishedKey(
                k, base64.urlsafe_b64decode(v["public_key"] + "=="), "active", clock.now(), None
            )
            for k, v in keys.items()
        ]
    )
    bits = status_lists.verify(document, lookup, district=PENGJIANG)
    claims = tokens.verify(path.rsplit("/", 1)[1], lookup)
    assert status_lists.is_set(bits, claims.status_index)


async def test_keys_are_published_as_the_contract_says(client: httpx.AsyncClient) -> None:
    await issued_card(client)
    answer = await client.get("/verify/keys")
    assert answer.status_code == 200
    [*keys] = answer.json()["keys"]
    assert keys and all(k["alg"] == "Ed25519" for k in keys)
    assert all(len(base64.urlsafe_b64decode(k["public_key"] + "==")) == 32 for k in keys)
    assert all("not_before" in k for k in keys)


async def test_forged_truncated_and_foreign_tokens_are_not_valid(client: httpx.AsyncClient) -> None:
    card, _, _ = await issued_card(client)
    token = card["verify_url"].rsplit("/", 1)[1]
    claims, _, _ = tokens.read_unverified(token)
    other = tokens.sign(claims, Ed25519PrivateKey.generate())  # the same claims, another key
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-1] ^= 1
    forged = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    for bad, verdict in ((other, "bad_signature"), (forged, "bad_signature"), (token[:40], "malformed"),
                         ("x" * 500, "malformed"), ("-_-_", "malformed")):  # fmt: skip
        page = await client.get(f"/verify/{bad}")
        assert page.status_code == 200, (bad, page.status_code)
        assert f'data-verdict="{verdict}"' in page.text, bad
        assert 'data-verdict="valid"' not in page.text


async def test_bad_input_is_named_never_a_500(client: httpx.AsyncClient) -> None:
    clerk = await api_headers(PENGJIANG, Role.CLERK)
    person_id, employer_id = await parties()
    not_met = await client.post(
        "/api/v1/talent-cards/applications",
        json=body(person_id, employer_id, tier_claimed="A"), headers=clerk,
    )  # fmt: skip
    assert not_met.status_code == 422
    assert {e["field"] for e in not_met.json()["errors"]} == {"reasons[0]"}

    ended = await client.post(
        "/api/v1/talent-cards/applications",
        json=body(person_id, employer_id, contract_end=clock.today().isoformat()), headers=clerk,
    )  # fmt: skip
    assert ended.status_code == 422 and ended.json()["errors"][0]["field"] == "contract_end"

    foreign_person, _ = await parties(JIANGHAI)
    foreign = await client.post(
        "/api/v1/talent-cards/applications", json=body(foreign_person, employer_id), headers=clerk
    )
    assert foreign.status_code == 422 and foreign.json()["errors"][0]["field"] == "person_id"

    card, _, _ = await issued_card(client)
    number = card["card_no"]
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    typo = await client.get(f"/api/v1/talent-cards/{wrong}", headers=clerk)
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "card_no"
    assert (await client.get(f"/api/v1/talent-cards/{number}", headers=clerk)).status_code == 200

    other = await api_headers(JIANGHAI, Role.CLERK)
    assert (await client.get(f"/api/v1/talent-cards/{number}", headers=other)).status_code == 404
    analyst = await api_headers("440700", Role.CITY_ANALYST)
    assert (await client.get("/api/v1/talent-cards", headers=analyst)).status_code == 403
