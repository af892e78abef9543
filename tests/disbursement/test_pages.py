"""Finance pages for batches, driven as a browser does (session, CSRF, redirects): list and detail
in Chinese with masked payees, maker-checker approval with the service's message (a refused action
answers the batch page at its status, saying why once, in the layout's message area), cancellation,
bank-file download whose SHA-256 is the one shown, build now → job, live build progress, roles,
and another district's batch → 404 everywhere."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import batch_lines
from renshe.jobs import runner
from renshe.jobs import service as jobs
from tests.accounts.support import csrf_from, new_client, signed_in
from tests.disbursement.awards import district, make_ready, states

pytestmark = pytest.mark.asyncio(loop_scope="session")
KAIPING = "440783"
OTHER = "440704"


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    return create_app()


async def browser(app: Any, code: str, *roles: Role) -> tuple[httpx.AsyncClient, UUID]:
    client = new_client(app)
    user_id, _name = await signed_in(client, code, *roles)
    return client, user_id


@pytest_asyncio.fixture(loop_scope="session")
async def people(app: Any) -> AsyncIterator[dict[str, tuple[httpx.AsyncClient, UUID]]]:
    made = {
        "maker": await browser(app, KAIPING, Role.FINANCE),
        "checker": await browser(app, KAIPING, Role.FINANCE),
        "admin": await browser(app, KAIPING, Role.DISTRICT_ADMIN),
        "clerk": await browser(app, KAIPING, Role.CLERK),
        "reviewer": await browser(app, KAIPING, Role.REVIEWER),
        "stranger": await browser(app, OTHER, Role.FINANCE),
    }
    yield made
    for client, _user in made.values():
        await client.aclose()


async def built_batch(
    admin_url: str, count: int = 2, *, created_by: UUID | None = None, amount_fen: int = 123_456
) -> tuple[UUID, list[UUID]]:
    """``count`` new ready awards in Kaiping and a batch built from the district's ready awards."""
    tenant = await district(KAIPING)
    apps = await make_ready(admin_url, tenant, count, amount_fen=amount_fen)
    stem = f"manual:{uuid.uuid4()}" if created_by else f"nightly:{uuid.uuid4()}"
    origin = "manual" if created_by else "nightly"
    result = await build(BuildRequest(tenant, date(2026, 6, 1), origin, stem, created_by=created_by))
    assert len(result.batches) == 1
    return UUID(result.batches[0]), apps


async def lines_of(batch_id: UUID) -> list[dict[str, Any]]:
    tenant = await district(KAIPING)
    async with tenant_transaction(TenantContext.district(tenant)):
        return await batch_lines(tenant, batch_id)


async def post(client: httpx.AsyncClient, path: str, page: str, **data: Any) -> httpx.Response:
    """A form posted from ``page`` with the CSRF token that page carries."""
    shown = await client.get(page)
    assert shown.status_code == 200, shown.status_code
    return await client.post(path, data={"_csrf": csrf_from(shown.text), **data}, follow_redirects=False)


def refused(answer: httpx.Response, status: int) -> str:
    """A refused action: the batch page again at the refusal's status, saying why once, in the
    layout's message area (the one place every message of the page appears); what it said."""
    assert answer.status_code == status, answer.status_code
    said = re.findall(r'data-flash="danger">([^<]*)</div>', answer.text)
    assert len(said) == 1 and answer.text.count(said[0]) == 1, said
    return str(said[0])


def sha_shown(html: str) -> str | None:
    match = re.search(r'data-sha256="([0-9a-f]{64})"', html)
    return match.group(1) if match else None


async def test_list_and_detail_in_chinese_with_masked_payees(people: Any, admin_url: str) -> None:
    batch_id, _apps = await built_batch(admin_url)
    maker, _ = people["maker"]
    lines = await lines_of(batch_id)

    listed = await maker.get("/disbursement/batches", params={"state": "built"})
    assert listed.status_code == 200
    assert "发放批次" in listed.text and "待审批" in listed.text
    assert f"/disbursement/batches/{batch_id}" in listed.text
    assert (
        f"/disbursement/batches/{batch_id}"
        not in (await maker.get("/disbursement/batches", params={"state": "exported"})).text
    )

    page = await maker.get(f"/disbursement/batches/{batch_id}")
    assert page.status_code == 200
    assert "批次申报" in page.text
    for line in lines:
        assert line["reference"] in page.text
        assert line["payee_account_masked"] in page.text
        assert line["payee_name"] not in page.text  # the clear name never reaches the page
    assert "62220202" not in page.text  # no clear account number either
    total = sum(line["amount_fen"] for line in lines)
    assert f"{total // 100:,}.{total % 100:02d}" in page.text
    assert 'data-envelope="ok"' in page.text


async def test_approval_by_the_maker_is_refused_with_the_message_and_another_officer_approves(
    people: Any, admin_url: str
) -> None:
    maker, maker_id = people["maker"]
    checker, _ = people["checker"]
    batch_id, _apps = await built_batch(admin_url, created_by=maker_id)
    detail = f"/disbursement/batches/{batch_id}"

    own = (await maker.get(detail)).text
    # its creator is not offered the approval, and is told why (once)
    assert 'id="confirm-approve"' not in own and own.count("该批次由您发起生成，须由其他财务人员审批。") == 1
    # posted anyway: refused, the reason said once (the flash, not the note besides)
    said = refused(await post(maker, f"{detail}/approve", detail), 403)
    assert said == "该批次由您发起生成，须由其他财务人员审批。"
    reloaded = (await maker.get(detail)).text
    assert 'data-state="built"' in reloaded and 'data-flash="danger"' not in reloaded  # said once, not queued

    admin, _ = people["admin"]
    assert (await admin.get(detail)).status_code == 200  # the district administrator reads …
    assert (await post(admin, f"{detail}/approve", detail)).status_code == 403  # … and cannot approve

    approved = await post(checker, f"{detail}/approve", detail)
    assert approved.status_code == 303 and approved.headers["location"] == detail
    after = await checker.get(approved.headers["location"])
    assert 'data-state="approved"' in after.text and "批次已审批" in after.text
    again = await post(checker, f"{detail}/approve", detail)  # a second approval: refused, not applied
    assert refused(again, 409)


async def test_download_gives_the_bytes_whose_sha_is_shown_and_again_the_same_bytes(
    people: Any, admin_url: str
) -> None:
    checker, _ = people["checker"]
    batch_id, _apps = await built_batch(admin_url)
    detail = f"/disbursement/batches/{batch_id}"
    early = await post(checker, f"{detail}/bank-file", detail, choice=":")
    assert "审批" in refused(early, 409)  # not approved yet: no file
    assert (await post(checker, f"{detail}/approve", detail)).status_code == 303
    assert sha_shown((await checker.get(detail)).text) is None

    first = await post(checker, f"{detail}/bank-file", detail, choice=":")
    assert first.status_code == 200, first.text
    assert "attachment" in first.headers["content-disposition"]
    page = (await checker.get(detail)).text
    assert sha_shown(page) == hashlib.sha256(first.content).hexdigest()
    assert 'data-state="exported"' in page
    second = await post(checker, f"{detail}/bank-file", detail, choice=":")
    assert second.content == first.content

    lines = await lines_of(batch_id)
    gbk = await post(checker, f"{detail}/bank-file", detail, choice="generic_csv:gbk")
    assert gbk.status_code == 200 and lines[0]["reference"] in gbk.content.decode("gbk")
    workbook = await post(checker, f"{detail}/bank-file", detail, choice="xlsx:")
    assert workbook.status_code == 200 and workbook.content[:2] == b"PK"
    icbc = await post(checker, f"{detail}/bank-file", detail, choice="icbc:")
    assert icbc.status_code == 200 and lines[0]["payee_name"] in icbc.content.decode("gbk")
    assert sha_shown((await checker.get(detail)).text) == hashlib.sha256(first.content).hexdigest()
    unknown = await post(checker, f"{detail}/bank-file", detail, choice="nope:")
    assert refused(unknown, 422)


async def test_cancel_needs_confirmation_and_returns_the_awards_to_ready(people: Any, admin_url: str) -> None:
    checker, _ = people["checker"]
    batch_id, apps = await built_batch(admin_url, 3)
    tenant = await district(KAIPING)
    detail = f"/disbursement/batches/{batch_id}"

    unconfirmed = await post(checker, f"{detail}/cancel", detail, reason="重复")
    assert "勾选" in refused(unconfirmed, 422)
    assert await states(tenant, apps) == {"in_batch": 3}

    cancelled = await post(checker, f"{detail}/cancel", detail, reason="金额有误", confirm="1")
    assert cancelled.status_code == 303
    assert await states(tenant, apps) == {"ready": 3}
    page = (await checker.get(detail)).text
    assert 'data-state="cancelled"' in page
    assert refused(await post(checker, f"{detail}/cancel", detail, confirm="1"), 409)


async def test_a_batch_whose_file_went_to_the_bank_cannot_be_cancelled_from_its_page(
    people: Any, admin_url: str
) -> None:
    checker, _ = people["checker"]
    batch_id, apps = await built_batch(admin_url, 2)
    tenant = await district(KAIPING)
    detail = f"/disbursement/batches/{batch_id}"
    assert (await post(checker, f"{detail}/approve", detail)).status_code == 303
    assert (await post(checker, f"{detail}/bank-file", detail, choice=":")).status_code == 200

    late = await post(checker, f"{detail}/cancel", detail, reason="太迟了", confirm="1")
    assert refused(late, 409) == "只有已生成或已审批（尚未导出代发文件）的批次才能作废。"
    assert 'data-state="exported"' in (await checker.get(detail)).text
    assert await states(tenant, apps) == {"in_batch": 2}
    assert {line["state"] for line in await lines_of(batch_id)} == {"pending"}


async def test_build_now_creates_a_job_whose_handler_builds_a_batch_by_its_requester(
    people: Any, admin_url: str
) -> None:
    maker, maker_id = people["maker"]
    tenant = await district(KAIPING)
    apps = await make_ready(admin_url, tenant, 2)
    answer = await post(maker, "/disbursement/batches/build", "/disbursement/batches")
    assert answer.status_code == 303
    job_id = UUID(answer.headers["location"].removeprefix("/jobs/"))
    assert (await maker.get(answer.headers["location"])).status_code == 200  # the job page, live

    assert await runner.run(tenant, job_id) == "succeeded"  # no worker here: run the handler
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await jobs.get(tenant, job_id)
    assert job.kind == "disbursement.build_batches" and job.args["created_by"] == str(maker_id)
    assert await states(tenant, apps) == {"in_batch": 2}
    listed = (await maker.get("/disbursement/batches", params={"state": "built"})).text
    batch_id = job.result["batches"][0] if job.result else None
    assert batch_id and f"/disbursement/batches/{batch_id}" in listed

    clerk, _ = people["clerk"]
    page = await clerk.get("/account/password")
    refused = await clerk.post("/disbursement/batches/build", data={"_csrf": csrf_from(page.text)})
    assert refused.status_code == 403


async def test_a_batch_being_built_shows_live_progress_until_it_is_done(people: Any, admin_url: str) -> None:
    maker, _ = people["maker"]
    tenant = await district(KAIPING)
    conn = await asyncpg.connect(admin_url)
    try:
        batch_id = await conn.fetchval(
            """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin, payer_account,
                      payer_name, payer_bank, layout)
               VALUES ($1, $2, '2026-06-02', 'nightly', '1', '开平财政', '工行', 'generic_csv')
               RETURNING id""",
            tenant, f"test:building:{uuid.uuid4()}",
        )  # fmt: skip
        page = await maker.get(f"/disbursement/batches/{batch_id}")
        assert f'hx-get="/disbursement/batches/{batch_id}/progress"' in page.text
        assert "<script" not in page.text.split("</head>")[1]  # polling by HTMX attributes only
        fragment = await maker.get(f"/disbursement/batches/{batch_id}/progress")
        assert fragment.status_code == 200 and "hx-trigger" in fragment.text
        assert "已加入 0 笔明细。" in fragment.text
        await conn.execute("UPDATE disbursement_batches SET state = 'cancelled' WHERE id = $1", batch_id)
        done = await maker.get(f"/disbursement/batches/{batch_id}/progress")
        assert done.headers.get("hx-refresh") == "true" and "hx-trigger" not in done.text
    finally:
        await conn.close()


async def test_another_districts_batch_is_not_found_on_every_page_and_action(
    people: Any, admin_url: str
) -> None:
    batch_id, _apps = await built_batch(admin_url)
    stranger, _ = people["stranger"]
    base = f"/disbursement/batches/{batch_id}"
    for path in (base, f"{base}/progress", f"{base}/returns", f"{base}/lines/export?format=csv"):
        assert (await stranger.get(path)).status_code == 404, path
    for action, data in (
        ("approve", {}),
        ("cancel", {"confirm": "1"}),
        ("cancel", {}),
        ("bank-file", {"choice": ":"}),
    ):
        answer = await post(stranger, f"{base}/{action}", "/disbursement/batches", **data)
        assert answer.status_code == 404, action
    page = await stranger.get("/disbursement/batches")
    upload = await stranger.post(
        f"{base}/returns",
        data={"_csrf": csrf_from(page.text)},
        files={"file": ("r.csv", b"reference,status\nX,ok\n", "text/csv")},
    )
    assert upload.status_code == 404
    assert f"{base}" not in page.text
    assert str(batch_id) not in (await stranger.get("/disbursement/batches/export?format=csv")).text


async def test_clerk_and_reviewer_may_not_use_the_finance_pages(people: Any, admin_url: str) -> None:
    batch_id, _apps = await built_batch(admin_url)
    base = f"/disbursement/batches/{batch_id}"
    for who in ("clerk", "reviewer"):
        client, _ = people[who]
        token = csrf_from((await client.get("/account/password")).text)
        for path in ("/disbursement/batches", base, f"{base}/returns", f"{base}/lines/export"):
            assert (await client.get(path)).status_code == 403, (who, path)
        for action in ("approve", "cancel", "bank-file", "returns"):
            answer = await client.post(f"{base}/{action}", data={"_csrf": token, "confirm": "1"})
            assert answer.status_code == 403, (who, action)
    admin, _ = people["admin"]
    token = csrf_from((await admin.get(base)).text)
    assert (await admin.post(f"{base}/cancel", data={"_csrf": token, "confirm": "1"})).status_code == 403
    assert (await admin.post(f"{base}/bank-file", data={"_csrf": token, "choice": ":"})).status_code == 403


async def test_the_batch_list_offers_the_page_size_and_keeps_it_with_the_filters(people: Any) -> None:
    maker, _ = people["maker"]
    html = (await maker.get("/disbursement/batches", params={"state": "built", "size": "20"})).text
    assert re.search(r'<option value="20" selected>20</option>', html), "the chosen size is shown"
    assert '<input type="hidden" name="size" value="20">' in html, "the filter form keeps the size"
    default = (await maker.get("/disbursement/batches", params={"size": "7"})).text
    assert re.search(r'<option value="50" selected>50</option>', default), "an unknown size is the default"
    assert 'name="size" value="7"' not in default
