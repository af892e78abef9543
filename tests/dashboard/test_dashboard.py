"""The district dashboard: each role's queues first, with counts that follow the data; the year's
totals by program and state match the awards created; the year selector; CSV export; city users
see the totals per district, read-only."""

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
from tests.accounts.support import new_client, signed_in
from tests.disbursement.awards import PROGRAM, district, make_ready, make_user

pytestmark = pytest.mark.asyncio(loop_scope="session")
ENPING = "440785"
YEAR = 2019  # no other test creates applications dated 2019: the year's totals are ours alone
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


async def test_totals_by_program_and_state_for_the_chosen_year_and_their_export(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    conn = await asyncpg.connect(admin_url)
    try:
        existing = await conn.fetch(
            """SELECT state, count(*) AS n, coalesce(sum(amount_fen), 0)::bigint AS fen FROM applications
               WHERE extract(year FROM application_date) = $1 GROUP BY state""",
            YEAR,
        )
        name_zh = await conn.fetchval("SELECT name_zh FROM programs WHERE code = $1", PROGRAM)
    finally:
        await conn.close()
    await applications(admin_url, tenant, [("paid", 1_000_000), ("paid", 234_567)])
    expected_count = sum(r["n"] for r in existing) + 2
    expected_fen = sum(r["fen"] for r in existing) + 1_234_567

    page = (await browsers["reviewer"].get("/dashboard", params={"year": str(YEAR)})).text
    assert f'data-total-count="{expected_count}"' in page and f'data-total-fen="{expected_fen}"' in page
    assert "2019 年度汇总" in page and name_zh in page
    cell = r'<td class="text-end ui-num">'
    paid_row = re.search(rf"<tr><td>已支付</td>{cell}([\d,]+)</td>{cell}¥([\d,.]+)</td></tr>", page)
    assert paid_row and paid_row.groups() == ("2", "12,345.67")
    assert 'value="2019" selected' in page

    empty = (await browsers["reviewer"].get("/dashboard", params={"year": "2001"})).text
    assert 'data-total-count="0"' in empty and "本年度没有申请" in empty

    answer = await browsers["finance"].get("/dashboard/export", params={"year": str(YEAR), "format": "csv"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0] == ["补贴项目", "状态", "笔数", "金额(元)"]
    assert [name_zh, "已支付", "2", "12345.67"] in rows[1:]
    assert sum(int(r[2]) for r in rows[1:]) == expected_count
    book = await browsers["finance"].get("/dashboard/export", params={"year": str(YEAR), "format": "xlsx"})
    assert book.status_code == 200 and book.content[:2] == b"PK"


async def test_city_users_see_the_totals_per_district_without_queues(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    await applications(admin_url, tenant, [("withdrawn", 50_000)])
    page = await browsers["city"].get("/dashboard", params={"year": str(YEAR)})
    assert page.status_code == 200
    assert "data-queue" not in page.text and "恩平" in page.text and "已撤回" in page.text
    rows = list(
        csv.reader(
            io.StringIO(
                (await browsers["city"].get("/dashboard/export", params={"year": str(YEAR)})).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert "区县" in rows[0][0] and any(r[0].startswith("恩平") and r[2] == "已撤回" for r in rows[1:])


async def test_states_are_named_as_on_the_clerks_list(
    browsers: dict[str, httpx.AsyncClient], admin_url: str
) -> None:
    tenant = await district(ENPING)
    await applications(admin_url, tenant, [("submitted", None), ("in_batch", 80_000)])
    page = (await browsers["reviewer"].get("/dashboard", params={"year": str(YEAR)})).text
    listing = (await browsers["clerk"].get("/subsidies/applications")).text
    for state in ("submitted", "in_batch"):
        name = re.search(rf'<option value="{state}"[^>]*>([^<]+)</option>', listing)
        assert name, state
        assert f"<tr><td>{name.group(1)}</td>" in page, (state, name.group(1))
