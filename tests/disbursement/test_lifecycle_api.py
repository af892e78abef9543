"""The batches API over HTTP: build now → 202 job, list and read with lines, maker-checker
approve, bank file with its SHA-256, bank return upload twice, roles, other district → 404."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement.build import BuildRequest, build
from renshe.jobs import service as jobs
from tests.disbursement.awards import district, make_ready, states
from tests.registry.support import api_headers
from tests.registry.support import client as new_client
from tests.subsidies.applications_support import admin_execute

pytestmark = pytest.mark.asyncio(loop_scope="session")
HESHAN = "440784"


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    async with new_client(create_app()) as c:
        yield c


async def test_build_now_approve_download_and_reconcile_over_http(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    tenant = await district(HESHAN)
    maker = await api_headers(HESHAN, Role.FINANCE)
    checker = await api_headers(HESHAN, Role.FINANCE)
    admin = await api_headers(HESHAN, Role.DISTRICT_ADMIN)
    clerk = await api_headers(HESHAN, Role.CLERK)
    stranger = await api_headers("440703", Role.FINANCE)

    accepted = await client.post("/api/v1/disbursement-batches", json={}, headers=maker)
    assert accepted.status_code == 202, accepted.text
    job_id = UUID(accepted.json()["job_id"])
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await jobs.get(tenant, job_id)
    assert job.kind == "disbursement.build_batches" and job.args["origin"] == "manual"
    async with tenant_transaction(TenantContext.district(tenant)):  # no worker here: leave no job behind
        await jobs.cancel(tenant, job_id)
    assert (await client.post("/api/v1/disbursement-batches", json={}, headers=clerk)).status_code == 403

    # a nightly batch (created by the system: any finance officer may approve it)
    await make_ready(admin_url, tenant, 2, amount_fen=88_800)
    built = await build(BuildRequest(tenant, date(2026, 5, 6), "nightly", "nightly:2026-05-06"))
    batch_id = built.batches[0]

    listed = await client.get("/api/v1/disbursement-batches", headers=admin)
    assert listed.status_code == 200 and batch_id in {b["id"] for b in listed.json()["items"]}
    one = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=admin)).json()
    assert one["state"] == "built" and one["line_count"] == len(one["lines"]) >= 2
    # the batch number: the business date's year, in the list and the detail alike
    assert one["number"].startswith("PF") and one["number"][8:14] == "-2026-"
    assert {b["number"] for b in listed.json()["items"] if b["id"] == batch_id} == {one["number"]}
    assert one["total_fen"] == sum(line["amount_fen"] for line in one["lines"])
    assert {"id", "application_id", "amount_fen", "state"} <= one["lines"][0].keys()
    assert "payee_account_enc" not in one["lines"][0] and "payee_name" not in one["lines"][0]
    # the payee masked as on the batch page (陈*玲): the clear name only goes into the bank file
    assert all(line["payee_name_masked"].startswith("收*") for line in one["lines"])
    detail = await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=admin)
    assert "收款人" not in detail.text

    assert (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=stranger)).status_code == 404
    approve_url = f"/api/v1/disbursement-batches/{batch_id}/approve"
    assert (await client.post(approve_url, json={}, headers=stranger)).status_code == 404
    assert (await client.post(approve_url, json={}, headers=admin)).status_code == 403
    stale = await client.post(approve_url, json={"version": one["version"] + 5}, headers=checker)
    assert stale.status_code == 409
    assert (one["approved_by"], one["approved_by_name"]) == (None, None)
    approved = await client.post(approve_url, json={"version": one["version"]}, headers=checker)
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    # beside the approver's id, the name pages show (the display name)
    checker_id = approved.json()["approved_by"]
    await admin_execute(admin_url, "UPDATE users SET display_name = '赵财务' WHERE id = $1::uuid", checker_id)
    named = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=admin)).json()
    assert (named["approved_by"], named["approved_by_name"]) == (checker_id, "赵财务")
    listed = (await client.get("/api/v1/disbursement-batches", headers=admin)).json()["items"]
    assert [b["approved_by_name"] for b in listed if b["id"] == batch_id] == ["赵财务"]

    file_url = f"/api/v1/disbursement-batches/{batch_id}/bank-file"
    first = await client.get(file_url, headers=checker)
    again = await client.get(file_url, headers=checker)
    assert first.status_code == 200 and first.content == again.content
    sha = first.headers["x-file-sha256"]
    assert (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=admin)).json()[
        "file_sha256"
    ] == sha
    assert (await client.get(file_url, params={"layout": "nope"}, headers=checker)).status_code == 422

    cancel_url = f"/api/v1/disbursement-batches/{batch_id}/cancel"
    sent = await client.post(cancel_url, json={"comment": "too late"}, headers=checker)
    assert sent.status_code == 409, sent.text  # the file went to the bank: no cancelling now
    assert sent.headers["content-type"].startswith("application/problem+json")
    assert "作废" in sent.json()["detail"]

    refs = [line["reference"] for line in one["lines"]]
    content = (
        "reference,status,reason\n" + "".join(f"{r},成功,\n" for r in refs) + "GHOST-1,成功,\n"
    ).encode()
    return_url = f"/api/v1/disbursement-batches/{batch_id}/bank-return"
    files = {"file": ("return.csv", content, "text/csv")}
    applied = await client.post(return_url, files=files, headers=checker)
    assert applied.status_code == 200, applied.text
    body = applied.json()
    assert (body["paid"], body["batch_state"], body["already_uploaded"]) == (len(refs), "reconciled", False)
    assert [e["kind"] for e in body["errors"]] == ["unmatched"]
    twice = (await client.post(return_url, files=files, headers=checker)).json()
    assert (twice["paid"], twice["already_uploaded"]) == (0, True)
    paid = await client.post(cancel_url, json={}, headers=checker)
    assert paid.status_code == 409 and paid.headers["content-type"].startswith("application/problem+json")
    final = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=admin)).json()
    assert final["state"] == "reconciled" and {line["state"] for line in final["lines"]} == {"paid"}


async def test_cancel_over_http_releases_the_awards_and_only_finance_of_the_district_may(
    client: httpx.AsyncClient, admin_url: str
) -> None:
    tenant = await district(HESHAN)
    finance = await api_headers(HESHAN, Role.FINANCE)
    admin = await api_headers(HESHAN, Role.DISTRICT_ADMIN)
    clerk = await api_headers(HESHAN, Role.CLERK)
    stranger = await api_headers("440703", Role.FINANCE)
    apps = await make_ready(admin_url, tenant, 2, amount_fen=77_700)
    built = await build(BuildRequest(tenant, date(2026, 5, 7), "nightly", f"nightly:{uuid.uuid4()}"))
    (batch_id,) = built.batches
    url = f"/api/v1/disbursement-batches/{batch_id}/cancel"
    version = (await client.get(f"/api/v1/disbursement-batches/{batch_id}", headers=admin)).json()["version"]

    assert (await client.post(url, json={}, headers=stranger)).status_code == 404
    for who in (admin, clerk):
        assert (await client.post(url, json={}, headers=who)).status_code == 403
    assert (await client.post(url, json={"version": version + 3}, headers=finance)).status_code == 409
    assert (await client.post(url, content=b"{", headers=finance)).status_code == 422
    assert await states(tenant, apps) == {"in_batch": 2}  # none of those changed anything

    done = await client.post(url, json={"version": version, "comment": "付款账户有误"}, headers=finance)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "cancelled"
    assert await states(tenant, apps) == {"ready": 2}
    again = await client.post(url, json={}, headers=finance)
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
