"""The district dashboard: each role's queues first, with counts that follow the data; beside them
the district's rollups (drawn from the cells, as of their last fold): applications by state match
the records, the period filter, CSV/XLSX export; city users are sent to the rollups page and export
per district."""

from __future__ import annotations

import csv
import io
import re
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
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import batch_lines
from renshe.rollups import folding
from tests.accounts.support import new_client, signed_in
from tests.disbursement.awards import PROGRAM, district, make_ready, make_user

pytestmark = pytest.mark.asyncio(loop_scope="session")
ENPING = "440785"
YEAR = 2019  # the year of this file's applications
QUEUE = re.compile(r'data-queue="([a-z_]+)" data-count="(\d+)"')


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def browsers(app: Any) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    made: dict[str, httpx.AsyncClient] = {}
    for name, code, role in (
        ("clerk", ENPING, Role.CLERK),
        ("reviewer", ENPING, Role.REVIEWER),
        ("finance", ENPING, Role.FINANCE),
        ("city", "440700", Role.CITY_ANALYST),
    ):
        made[name] = new_client(app)
        await signed_in(made[name], code, role)
    yield made
    for client in made.values():
        await client.aclose()


async def applications(admin_url: str, tenant: UUID, rows: list[tuple[str, int | None]]) -> None:
    """Applications dated in ``YEAR`` in the given (state, amount in fen) pairs."""
    conn = await asyncpg.connect(admin_url)
    try:
        async with conn.transaction():
            version = await conn.fetchval(
                "SELECT id FROM program_versions WHERE program_code = $1 ORDER BY version LIMIT 1", PROGRAM
            )
            for state, amount in rows:
                person = await conn.fetchval(
                    "INSERT INTO persons (tenant_id, name, residency)"
                    " VALUES ($1, '统计人', 'mainland') RETURNING id",
                    tenant,
                )
                frozen = state not in ("draft", "submitted")
                await conn.execute(
                    """INSERT INTO applications (tenant_id, program_code, policy_version_id, person_id,
                              application_date, amount_fen, budget_year, state)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                    tenant, PROGRAM, version if frozen else None, person, date(YEAR, 4, 1), amount,
                    YEAR if frozen else None, state,
                )  # fmt: skip
    finally:
        await conn.close()


async def queues(client: httpx.AsyncClient) -> list[tuple[str, int]]:
    page = await client.get("/dashboard")
    assert page.status_code == 200, page.text
    return [(key, int(n)) for key, n in QUEUE.findall(page.text)]


def delta(before: list[tuple[str, int]], after: list[tuple[str, int]]) -> dict[str, int]:
    old = dict(before)
    return {key: n - old[key] for key, n in after if n != old[key]}


async def test_queues_follow_the_data_and_each_role_sees_its_own_first(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    clerk, finance, reviewer = browsers["clerk"], browsers["finance"], browsers["reviewer"]
    before, before_review = await queues(clerk), await queues(reviewer)
    await applications(admin_url, tenant, [("draft", None), ("draft", None), ("submitted", 500_000),
                                           ("on_hold", 1_000_000), ("payment_failed", 300_000)])  # fmt: skip
    # the review queue is not the clerk's to open: it is not on the clerk's dashboard at all
    assert delta(before, await queues(clerk)) == {"draft": 2, "on_hold": 1, "payment_failed": 1}
    assert "submitted" not in dict(await queues(clerk))
    assert delta(before_review, await queues(reviewer))["submitted"] == 1

    # finance: a batch built → awaiting approval; exported → awaiting the bank; a failure → reconciled
    before = await queues(finance)
    await make_ready(admin_url, tenant, 2, amount_fen=70_000)
    built = await build(BuildRequest(tenant, date(2026, 7, 1), "nightly", "nightly:dashboard-test"))
    batch_id = UUID(built.batches[0])
    assert delta(before, await queues(finance)) == {"built": 1}
    officer = await make_user(admin_url, tenant)
    async with tenant_transaction(TenantContext.district(tenant)):
        await lifecycle.approve(tenant, officer, batch_id)
        await export.export_batch(tenant, officer, batch_id)
        lines = await batch_lines(tenant, batch_id)
    assert delta(before, await queues(finance)) == {"exported": 1}
    body = "reference,status,reason\n" + "".join(
        f"{x['reference']},{'失败' if i == 0 else '成功'},账户冻结\n" for i, x in enumerate(lines)
    )
    async with tenant_transaction(TenantContext.district(tenant)):
        await reconcile.upload_return(tenant, officer, batch_id, "r.csv", body.encode())
    assert delta(before, await queues(finance)) == {"reconciled_failed": 1, "payment_failed": 1}

    order = [key for key, _n in await queues(clerk)]
    assert order[:2] == ["draft", "payment_failed"]
    order = [key for key, _n in await queues(browsers["reviewer"])]
    assert order[:2] == ["submitted", "on_hold"]
    page = (await finance.get("/dashboard")).text
    assert [key for key, _n in QUEUE.findall(page)][:3] == ["built", "exported", "reconciled_failed"]
    assert "待审批的批次" in page and 'href="/disbursement/batches?state=built"' in page
    assert 'href="/disbursement/batches?state=reconciled&amp;failures=1"' in page
    assert 'href="/subsidies/applications?state=draft"' in page and 'href="/subsidies/review"' not in page
    clerk_page = (await clerk.get("/dashboard")).text
    assert "/disbursement/batches" not in clerk_page and 'href="/subsidies/review"' not in clerk_page


async def folded(tenant: UUID) -> None:
    """What the rollups' fold job would do within the minute (no scheduler runs in the tests)."""
    async with tenant_transaction(TenantContext.district(tenant)):
        await folding.fold_all(tenant)


async def filed_in(admin_url: str, tenant: UUID) -> dict[str, int]:
    """The district's applications filed in ``YEAR`` by state, counted from the records."""
    conn = await asyncpg.connect(admin_url)
    try:
        rows = await conn.fetch(
            """SELECT state, count(*) AS n FROM applications WHERE tenant_id = $1 AND state <> 'draft'
               AND extract(year FROM application_date) = $2 GROUP BY state""",
            tenant, YEAR,
        )  # fmt: skip
    finally:
        await conn.close()
    return {r["state"]: r["n"] for r in rows}


STATE_ROW = re.compile(r'data-state="([a-z_]+)" data-count="(\d+)"')
PERIOD = {"from": f"{YEAR}-01", "to": f"{YEAR}-12"}


async def test_the_districts_figures_come_from_the_rollups_as_of_their_last_fold(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    await folded(tenant)
    before = await browsers["reviewer"].get("/dashboard", params=PERIOD)
    await applications(admin_url, tenant, [("paid", 1_000_000), ("paid", 234_567)])
    # not folded yet: the page still shows the figures as of before the change, and says so
    stale = (await browsers["reviewer"].get("/dashboard", params=PERIOD)).text
    assert dict(STATE_ROW.findall(stale)) == dict(STATE_ROW.findall(before.text))
    await folded(tenant)

    expected = await filed_in(admin_url, tenant)
    page = (await browsers["reviewer"].get("/dashboard", params=PERIOD)).text
    shown = {state: int(n) for state, n in STATE_ROW.findall(page)}
    assert {k: v for k, v in shown.items() if v} == expected
    assert f'data-total-count="{sum(expected.values())}"' in page
    assert 'data-metric="applications"' in page and "截至" in page and 'id="chart-month"' in page
    assert '<option value="2019-01" selected>' in page
    assert 'data-queue="submitted"' in page  # the queues stay beside the figures

    empty = (await browsers["reviewer"].get("/dashboard", params={"from": "2001-01", "to": "2001-12"})).text
    assert 'data-total-count="0"' in empty

    answer = await browsers["finance"].get("/dashboard/export", params={**PERIOD, "format": "csv"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["状态", "申请数"]
    assert ["已支付", str(expected["paid"])] in rows[1:]
    assert sum(int(r[1]) for r in rows[1:]) == sum(expected.values())
    book = await browsers["finance"].get("/dashboard/export", params={**PERIOD, "format": "xlsx"})
    assert book.status_code == 200 and book.content[:2] == b"PK"


async def test_city_users_are_sent_to_the_rollups_and_export_per_district(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    await applications(admin_url, tenant, [("withdrawn", 50_000)])
    await folded(tenant)
    page = await browsers["city"].get("/dashboard", params=PERIOD)
    assert page.status_code == 303 and page.headers["location"] == f"/rollups?from={YEAR}-01&to={YEAR}-12"
    answer = await browsers["city"].get("/dashboard/export", params=PERIOD)
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["区县", "状态", "申请数"]
    withdrawn = [r for r in rows[1:] if r[0].startswith("恩平") and r[1] == "已撤回"]
    assert withdrawn and int(withdrawn[0][2]) == (await filed_in(admin_url, tenant))["withdrawn"]


async def test_states_are_named_as_on_the_clerks_list(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    await applications(admin_url, tenant, [("submitted", None), ("in_batch", 80_000)])
    await folded(tenant)
    page = (await browsers["reviewer"].get("/dashboard", params=PERIOD)).text
    listing = (await browsers["clerk"].get("/subsidies/applications")).text
    for state in ("submitted", "in_batch"):
        name = re.search(rf'<option value="{state}"[^>]*>([^<]+)</option>', listing)
        assert name, state
        assert re.search(rf'data-state="{state}" data-count="[1-9]\d*"><td>{name.group(1)}</td>', page), state
