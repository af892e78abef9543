"""Job pages and API: scoped to the caller's district, live progress, the manual audit check."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner, service
from renshe.web.app import create_app
from tests.jobs.people import BASE_URL, bearer, person, sign_in
from tests.jobs.support import key, load_job, unit_id

pytestmark = pytest.mark.usefixtures("db")


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    # In the test's own event loop, where the session's pool and Redis client live.
    transport = httpx.ASGITransport(app=create_app(), client=("192.0.2.20", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


async def _job(code: str, kind: str = "audit.verify_chain") -> tuple[UUID, UUID]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue(kind, tenant, {}, key(), total=1)
    return tenant, job.id


def _normalised(html: str, job_id: UUID) -> str:
    return re.sub(r"[0-9a-f]{24}", "<request id>", html.replace(str(job_id), "<id>"))


async def test_another_districts_job_is_404_like_a_missing_one(client: httpx.AsyncClient) -> None:
    clerk = await person("440703", Role.CLERK)
    await sign_in(client, clerk)
    _, own = await _job("440703")
    _, other = await _job("440704")
    assert (await client.get(f"/jobs/{own}")).status_code == 200
    nowhere = uuid.uuid4()
    foreign = await client.get(f"/jobs/{other}")
    missing = await client.get(f"/jobs/{nowhere}")
    assert foreign.status_code == missing.status_code == 404
    # the same page, word for word, apart from the id in the address and the request id
    assert _normalised(foreign.text, other) == _normalised(missing.text, nowhere)
    assert (await client.get(f"/jobs/{other}/progress")).status_code == 404

    listing = await client.get("/jobs")
    assert listing.status_code == 200
    assert str(own) in listing.text
    assert str(other) not in listing.text


async def test_api_is_scoped_to_the_callers_district(client: httpx.AsyncClient) -> None:
    clerk = await person("440705", Role.CLERK)
    headers = await bearer(clerk)
    _, own = await _job("440705")
    _, other = await _job("440781")
    answer = await client.get(f"/api/v1/jobs/{own}", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert body["id"] == str(own)
    assert body["org_unit"]["code"] == "440705"
    assert body["status"] == "queued"
    assert body["progress"] == {"done": 0, "total": 1, "rate_per_second": None}
    assert body["summary"] is None

    foreign = await client.get(f"/api/v1/jobs/{other}", headers=headers)
    missing = await client.get(f"/api/v1/jobs/{uuid.uuid4()}", headers=headers)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.headers["content-type"].startswith("application/problem+json")
    assert {k: v for k, v in foreign.json().items() if k != "instance" and k != "request_id"} == {
        k: v for k, v in missing.json().items() if k != "instance" and k != "request_id"
    }

    listed = await client.get("/api/v1/jobs", headers=headers, params={"limit": 200})
    codes = {item["org_unit"]["code"] for item in listed.json()["items"]}
    assert codes == {"440705"}
    # a tenant id smuggled into the query changes nothing
    smuggled = await client.get(
        "/api/v1/jobs", headers=headers, params={"tenant_id": str(await unit_id("440781"))}
    )
    assert {i["org_unit"]["code"] for i in smuggled.json()["items"]} == {"440705"}


async def test_api_pages_with_a_cursor(client: httpx.AsyncClient) -> None:
    clerk = await person("440783", Role.REVIEWER)
    headers = await bearer(clerk)
    made = {(await _job("440783"))[1] for _ in range(5)}
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/jobs", headers=headers, params=params)).json()
        assert len(page["items"]) <= 2
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))  # no job twice
    assert {str(j) for j in made} <= set(seen)
    bad = await client.get("/api/v1/jobs", headers=headers, params={"cursor": "%%%"})
    assert bad.status_code == 422


async def test_progress_fragment_polls_until_the_job_finishes(client: httpx.AsyncClient) -> None:
    clerk = await person("440784", Role.CLERK)
    await sign_in(client, clerk)
    tenant, job_id = await _job("440784")
    page = await client.get(f"/jobs/{job_id}")
    assert f'hx-get="/jobs/{job_id}/progress"' in page.text
    assert 'hx-trigger="every 2s"' in page.text

    assert "审计链校验" in page.text  # Chinese first: the kind's title
    fragment = await client.get(f"/jobs/{job_id}/progress", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # a fragment, not a page
    assert 'data-status="queued"' in fragment.text
    assert "排队中" in fragment.text
    assert "hx-trigger" in fragment.text

    assert await runner.run(tenant, job_id) == "succeeded"
    done = await client.get(f"/jobs/{job_id}/progress", headers={"HX-Request": "true"})
    assert 'data-status="succeeded"' in done.text
    assert "hx-trigger" not in done.text  # finished: polling stops
    assert 'data-chain="ok"' in done.text
    assert "审计链完整" in done.text


async def test_district_admin_runs_the_audit_check_now(client: httpx.AsyncClient) -> None:
    admin = await person("440785", Role.DISTRICT_ADMIN)
    csrf = await sign_in(client, admin)
    listing = await client.get("/jobs")
    assert "/jobs/audit-check" in listing.text
    answer = await client.post("/jobs/audit-check", headers=csrf, follow_redirects=False)
    assert answer.status_code == 303
    job_id = UUID(answer.headers["location"].rsplit("/", 1)[1])
    job = await load_job(admin.org_unit.id, job_id)
    assert job.kind == "audit.verify_chain"
    assert job.requested_by == admin.user_id
    assert job.idempotency_key.startswith("manual:audit.verify_chain:")
    async with tenant_transaction(TenantContext.district(admin.org_unit.id)):
        audited = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'job.requested'"
            " AND object_id = $2 AND actor_user_id = $3",
            admin.org_unit.id, str(job_id), admin.user_id,
        )  # fmt: skip
    assert audited == 1

    # the requester may cancel it while it waits
    cancel = await client.post(f"/jobs/{job_id}/cancel", headers=csrf, follow_redirects=False)
    assert cancel.status_code == 303
    assert (await load_job(admin.org_unit.id, job_id)).status == "cancelled"


async def test_cancelling_a_job_asks_first_in_a_dialog_naming_the_job(client: httpx.AsyncClient) -> None:
    admin = await person("440785", Role.DISTRICT_ADMIN)
    csrf = await sign_in(client, admin)
    tenant, job_id = await _job("440785")
    for answer in (
        await client.get(f"/jobs/{job_id}"),
        await client.get(f"/jobs/{job_id}/progress", headers={"HX-Request": "true"}),
    ):
        # the button's form opens its dialog (static/js/app.js data-ui-confirm) instead of posting
        form = re.search(r'<form [^>]*data-ui-confirm="([^"]+)"[^>]*>(.*?)</form>', answer.text, re.S)
        assert form, "the cancel button posts without asking"
        assert f'action="/jobs/{job_id}/cancel"' in form.group(0) and "取消此任务" in form.group(2)
        dialog = re.search(rf'<dialog id="{form.group(1)}"[^>]*>(.*?)</dialog>', answer.text, re.S)
        assert dialog, "no dialog for the cancel button"
        # it names the job and says what cancelling does; the confirming button is the red one
        assert "取消任务“审计链校验”" in dialog.group(1) and "无法恢复" in dialog.group(1)
        assert re.search(r'value="confirm" class="btn btn-danger">确认取消任务<', dialog.group(1))
    assert (await load_job(tenant, job_id)).status == "queued"  # opening the page changed nothing
    cancel = await client.post(f"/jobs/{job_id}/cancel", headers=csrf, follow_redirects=False)
    assert cancel.status_code == 303
    done = await client.get(f"/jobs/{job_id}")
    assert "任务已取消。" in done.text and 'data-status="cancelled"' in done.text
    assert "data-ui-confirm" not in done.text  # nothing left to cancel


async def test_a_clerk_cannot_start_the_audit_check(client: httpx.AsyncClient) -> None:
    clerk = await person("440785", Role.CLERK)
    csrf = await sign_in(client, clerk)
    assert "/jobs/audit-check" not in (await client.get("/jobs")).text
    answer = await client.post("/jobs/audit-check", headers=csrf, follow_redirects=False)
    assert answer.status_code == 403


async def test_a_city_analyst_sees_no_districts_job_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    """A district's job names its files and rows: person-level work, not an aggregate (§4)."""
    analyst = await person("440700", Role.CITY_ANALYST)
    csrf = await sign_in(client, analyst)
    _, a = await _job("440703")
    _, b = await _job("440704")
    listing = await client.get("/jobs", params={"status": "queued"})
    assert listing.status_code == 200
    assert str(a) not in listing.text and str(b) not in listing.text
    assert (await client.get(f"/jobs/{a}")).status_code == 404
    assert (await client.get(f"/api/v1/jobs/{b}", headers=await bearer(analyst))).status_code == 404
    cancel = await client.post(f"/jobs/{a}/cancel", headers=csrf, follow_redirects=False)
    assert cancel.status_code == 404  # as a job that exists nowhere
    assert (await load_job(await unit_id("440703"), a)).status == "queued"


async def test_roles_without_jobs_get_403(client: httpx.AsyncClient) -> None:
    auditor = await person("440700", Role.AUDITOR)
    await sign_in(client, auditor)
    assert (await client.get("/jobs")).status_code == 403
    assert (await client.get("/api/v1/jobs", headers=await bearer(auditor))).status_code == 403


async def test_metrics_count_jobs_by_status(client: httpx.AsyncClient) -> None:
    await _job("440703")
    body = (await client.get("/metrics")).text
    queued = [line for line in body.splitlines() if line.startswith('renshe_jobs{status="queued"}')]
    assert queued and float(queued[0].split()[-1]) >= 1
    assert 'renshe_jobs{status="failed"}' in body


async def test_the_rollups_folds_are_left_off_the_list_unless_asked_for(client: httpx.AsyncClient) -> None:
    """While a district works its rollups are folded every few seconds: those jobs would push the
    office's own off the first page. The page and the API list them only when asked to."""
    clerk = await person("440784", Role.CLERK)
    await sign_in(client, clerk)
    headers = await bearer(clerk)
    _, own = await _job("440784")
    _, fold = await _job("440784", kind="rollups.fold")

    page = (await client.get("/jobs")).text
    assert str(own) in page and str(fold) not in page
    asked = (await client.get("/jobs", params={"routine": "1"})).text
    assert str(own) in asked and str(fold) in asked
    assert 'name="routine" value="1" checked' in asked

    listed = await client.get("/api/v1/jobs", headers=headers, params={"limit": 200})
    assert str(fold) not in {i["id"] for i in listed.json()["items"]}
    listed = await client.get("/api/v1/jobs", headers=headers, params={"limit": 200, "routine": "true"})
    assert {str(own), str(fold)} <= {i["id"] for i in listed.json()["items"]}
