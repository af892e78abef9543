"""A finished job says in words what it did (in the reader's language) instead of showing JSON,
and a running job's progress reads "已处理 1,204 / 共 5,000 · 每秒 830 行" (fb.job_progress)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe import i18n
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import kinds, service
from renshe.web.app import create_app
from tests.jobs.people import BASE_URL, bearer, person, sign_in
from tests.jobs.support import key, unit_id

BUILD = "disbursement.build_batches"
BUILT = {
    "batches": ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"],
    "lines_added": 1204,
    "lines": 1204,
    "amount_fen": 351_200_000,
    "notices_closed": 3,
}


@pytest.fixture
def english() -> Iterator[None]:
    token = i18n.current_locale.set("en")
    yield
    i18n.current_locale.reset(token)


def test_every_kind_has_a_summary() -> None:
    # (the fault tests' sleeping kind excepted: it never runs outside them)
    without = [name for name, spec in kinds.load().items() if spec.summary is None]
    assert set(without) <= {"testing.sleep"}, without


def test_the_nightly_build_in_both_languages(english: None) -> None:
    assert kinds.summarize(BUILD, BUILT) == "Built 2 batches, 1,204 payments, ¥3,512,000.00 in all."
    nothing = dict(BUILT, batches=[], lines=0, amount_fen=0)
    assert kinds.summarize(BUILD, nothing) == "No payable applications."
    token = i18n.current_locale.set("zh_CN")
    try:
        assert kinds.summarize(BUILD, BUILT) == "已生成 2 个批次、共 1,204 笔、金额 ¥3,512,000.00。"
        assert kinds.summarize(BUILD, nothing) == "没有待支付的申请。"
    finally:
        i18n.current_locale.reset(token)


def test_imports_and_the_other_kinds(english: None) -> None:
    checked = {"status": "invalid", "rows": 1980, "error_rows": 12, "already_registered": 0,
               "to_import": 1968}  # fmt: skip
    assert kinds.summarize("registry.validate_import", checked) == (
        "Checked 1,980 rows: 12 rows have errors; nothing can be imported until they are corrected."
    )
    imported = {"status": "imported", "imported": 1980, "already_registered": 4}
    assert kinds.summarize("registry.run_import", imported) == (
        "Imported 1,980 rows; 4 already registered were skipped."
    )
    assert kinds.summarize("subsidies.close_notices", {"moved": 0, "business_date": "2026-03-02"}) == (
        "No public notice had ended by 2026-03-02."
    )
    exported = {"batch_id": "x", "outcome": "exported", "sha256": "ab", "lines": 5000}
    assert kinds.summarize("disbursement.export_batch", exported) == "The bank file is made: 5,000 payments."
    assert kinds.summarize("audit.verify_chain", {"ok": True, "records": 12345}) == (
        "The audit chain is intact: 12,345 records checked."
    )
    # a result of another shape (an older row): no sentence, the page falls back to the JSON
    assert kinds.summarize(BUILD, {"batches": ["a"]}) is None


# ---------------------------------------------------------------- on the page


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(), client=("192.0.2.21", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


async def _job_row(tenant: UUID, **columns: object) -> UUID:
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue(BUILD, tenant, {"origin": "manual"}, key())
        sets = ", ".join(f"{k} = ${i + 3}" for i, k in enumerate(columns))
        await current_transaction().connection.execute(
            f"UPDATE jobs SET {sets} WHERE tenant_id = $1 AND id = $2", tenant, job.id, *columns.values()
        )
    return job.id


@pytest.mark.usefixtures("db")
async def test_the_job_page_says_what_the_build_did(client: httpx.AsyncClient) -> None:
    tenant = await unit_id("440703")
    finance = await person("440703", Role.FINANCE)
    await sign_in(client, finance)
    started = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    done = await _job_row(
        tenant, status="succeeded", result=json.dumps(BUILT), progress_done=1204, progress_total=1204,
        started_at=started, finished_at=started + timedelta(seconds=2), attempts=1,
    )  # fmt: skip
    page = (await client.get(f"/jobs/{done}")).text
    assert "已生成 2 个批次、共 1,204 笔、金额 ¥3,512,000.00。" in page
    assert '"amount_fen"' not in page  # no JSON
    assert "每秒 602 行" in page  # 1,204 rows in 2 seconds
    api = (await client.get(f"/api/v1/jobs/{done}", headers=await bearer(finance))).json()
    assert api["summary"] == "已生成 2 个批次、共 1,204 笔、金额 ¥3,512,000.00。"
    assert api["progress"] == {"done": 1204, "total": 1204, "rate_per_second": 602.0}

    running = await _job_row(
        tenant, status="running", progress_done=1204, progress_total=5000, started_at=started,
        heartbeat_at=started + timedelta(seconds=10), attempts=1, worker="w",
    )  # fmt: skip
    live = (await client.get(f"/jobs/{running}/progress")).text
    assert "已处理 1,204 / 共 5,000" in live and "每秒 120 行" in live


def test_the_talent_card_jobs_say_what_they_did(english: None) -> None:
    assert kinds.summarize("talent.issue", {"issued": 1204, "skipped": 0}) == "Issued 1,204 cards."
    nothing = kinds.summarize("talent.issue", {"issued": 0, "skipped": 0})
    assert nothing == "No approved applications to issue."
    swept = {"expired": 3, "renewals_flagged": 12}
    assert kinds.summarize("talent.sweep", swept) == "3 cards expired, 12 flagged for renewal."
    published = kinds.summarize("talent.publish_status", {"district": "440703"})
    assert published == "Status list of 440703 published."
