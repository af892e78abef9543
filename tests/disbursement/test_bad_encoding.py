"""Bad input on a batch (issue 8.4): a bad ``encoding`` or ``layout`` for a bank-file download
(API and page) answers 422 in the caller's language, never a 500, and no file is recorded; a
cancellation reason with an invisible character is refused and the batch stays as it was."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import pytest_asyncio

from renshe.accounts import sessions
from renshe.accounts.principal import Role
from renshe.disbursement.build import BuildRequest, build
from renshe.settings import get_settings
from tests.disbursement.awards import district, make_ready
from tests.registry import support as registry

pytestmark = pytest.mark.asyncio(loop_scope="session")
ENPING = "440785"
# codecs that are not text encodings, real ones no layout allows, names of nothing
BAD_ENCODINGS = ["rot13", "base64", "idna", "utf-7", "utf-16", "no-such-codec", "../etc/passwd", "x" * 3000]


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    async with registry.client(create_app()) as c:
        yield c


async def _approved_batch(client: httpx.AsyncClient, admin_url: str) -> str:
    tenant = await district(ENPING)
    await make_ready(admin_url, tenant, 2, amount_fen=12_300)
    built = await build(BuildRequest(tenant, date(2026, 8, 3), "nightly", f"nightly:{uuid.uuid4()}"))
    batch_id = built.batches[0]
    checker = await registry.api_headers(ENPING, Role.FINANCE)
    one = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=checker)).json()
    approved = await client.post(
        f"/api/v1/disbursement-batches/{batch_id}/approve", json={"version": one["version"]}, headers=checker
    )
    assert approved.status_code == 200, approved.text
    return batch_id


async def test_a_bad_encoding_or_layout_is_refused_through_api_and_page(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    batch_id = await _approved_batch(client, admin_url)
    finance = await registry.api_headers(ENPING, Role.FINANCE)
    url = f"/api/v1/disbursement-batches/{batch_id}/bank-file"
    for encoding in BAD_ENCODINGS:
        answer = await client.get(url, params={"encoding": encoding}, headers=finance)
        assert answer.status_code == 422, (encoding[:20], answer.status_code, answer.text[:300])
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "编码" in answer.json()["detail"]
    bad_layout = await client.get(url, params={"layout": "../../x"}, headers=finance)
    assert bad_layout.status_code == 422 and "格式" in bad_layout.json()["detail"]

    principal = await registry.principal(ENPING, Role.FINANCE)
    session = await sessions.create(get_settings(), principal)
    cookie = {"Cookie": f"{sessions.COOKIE_NAME}={session.id}", "X-CSRF-Token": session.csrf_token}
    for choice in ("generic_csv:rot13", "generic_csv:" + "y" * 3000, "nope:utf-8"):
        page = await client.post(
            f"/disbursement/batches/{batch_id}/bank-file", data={"choice": choice}, headers=cookie
        )
        assert page.status_code == 422, (choice[:20], page.status_code)
        assert page.headers["content-type"].startswith("text/html")

    # nothing was recorded: the batch is still approved, not exported
    one = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=finance)).json()
    assert one["state"] == "approved"


async def test_a_cancel_reason_with_an_invisible_character_is_refused(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    batch_id = await _approved_batch(client, admin_url)
    finance = await registry.api_headers(ENPING, Role.FINANCE)
    one = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=finance)).json()
    refused = await client.post(
        f"/api/v1/disbursement-batches/{batch_id}/cancel",
        json={"version": one["version"], "comment": "重复\u202e发放"},
        headers=finance,
    )
    assert refused.status_code == 422, refused.text
    assert [e["field"] for e in refused.json()["errors"]] == ["comment"]

    principal = await registry.principal(ENPING, Role.FINANCE)
    session = await sessions.create(get_settings(), principal)
    cookie = {"Cookie": f"{sessions.COOKIE_NAME}={session.id}", "X-CSRF-Token": session.csrf_token}
    page = await client.post(
        f"/disbursement/batches/{batch_id}/cancel",
        data={"confirm": "1", "version": str(one["version"]), "reason": "\u200b重复"},
        headers=cookie,
    )
    assert page.status_code == 422
    assert "请删除此项中的不可见字符" in page.text
    after = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=finance)).json()
    assert after["state"] == "approved" and after["version"] == one["version"]
