"""The auditor's page: only the auditor reads the log; filters, details, CSV export."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.audit import reader
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.web.app import create_app
from tests.jobs.people import BASE_URL, person, sign_in
from tests.jobs.support import unit_id

pytestmark = pytest.mark.usefixtures("db")


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(), client=("192.0.2.30", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


@pytest.mark.parametrize(
    ("code", "role"),
    [
        ("440703", Role.CLERK),
        ("440703", Role.DISTRICT_ADMIN),
        ("440700", Role.CITY_ADMIN),
        ("440700", Role.SYSADMIN),
        ("440700", Role.SECADMIN),
    ],
)
async def test_only_the_auditor_reads_the_log(client: httpx.AsyncClient, code: str, role: Role) -> None:
    await sign_in(client, await person(code, role))
    assert (await client.get("/audit")).status_code == 403
    assert (await client.get("/audit/export.csv")).status_code == 403


async def test_auditor_filters_and_reads_details(client: httpx.AsyncClient) -> None:
    auditor = await person("440700", Role.AUDITOR)
    await sign_in(client, auditor)
    tenant = await unit_id("440784")
    actor = audit.Actor(user_id=None, username="filter_probe", role="clerk", request_id="req-probe")
    async with tenant_transaction(TenantContext.district(tenant)):
        seq = await audit.record(tenant, actor, "probe.changed", object_type="probe",
                                 object_id="p-1", before={"名称": "旧"}, after={"名称": "新"})  # fmt: skip

    page = await client.get("/audit", params={"actor": "filter_probe", "unit": "440784"})
    assert page.status_code == 200
    assert f'data-seq="{seq}" data-unit="440784"' in page.text
    assert "probe.changed" in page.text
    assert "&#34;名称&#34;: &#34;新&#34;" in page.text or '"名称": "新"' in page.text  # after JSON
    assert page.text.count("data-seq=") == 1

    other_unit = await client.get("/audit", params={"actor": "filter_probe", "unit": "440703"})
    assert "data-seq=" not in other_unit.text
    by_prefix = await client.get("/audit", params={"action": "probe.", "object_id": "p-1"})
    assert by_prefix.text.count("data-seq=") == 1
    not_yet = await client.get("/audit", params={"actor": "filter_probe", "from": "2999-01-01"})
    assert "data-seq=" not in not_yet.text
    bad = await client.get("/audit", params={"from": "yesterday"})
    assert bad.status_code == 422


async def test_newest_first_and_paged_without_overlap(client: httpx.AsyncClient) -> None:
    auditor = await person("440700", Role.AUDITOR)
    await sign_in(client, auditor)
    tenant = await unit_id("440783")
    actor = audit.Actor(user_id=None, username="order_probe", role="clerk")
    written = []
    for i in range(5):
        async with tenant_transaction(TenantContext.district(tenant)):
            written.append(await audit.record(tenant, actor, "probe.order", object_id=str(i)))
    page = await client.get("/audit", params={"actor": "order_probe"})
    shown = [int(x) for x in re.findall(r'data-seq="(\d+)"', page.text)]
    assert shown == sorted(written, reverse=True)

    flt = reader.AuditFilter(actor="order_probe")
    seen: list[int] = []
    cursor = None
    async with tenant_transaction(auditor.context()):
        while True:
            chunk = await reader.search(auditor.readable_units, flt, limit=2, cursor=cursor)
            seen += [e.seq for e in chunk.entries]
            cursor = chunk.next_cursor
            if cursor is None:
                break
    assert seen == sorted(written, reverse=True)


async def test_csv_export_neutralises_formulas_and_is_audited(client: httpx.AsyncClient) -> None:
    auditor = await person("440700", Role.AUDITOR)
    await sign_in(client, auditor)
    tenant = await unit_id("440785")
    actor = audit.Actor(user_id=None, username="csv_probe", role="clerk")
    async with tenant_transaction(TenantContext.district(tenant)):
        await audit.record(tenant, actor, "probe.exported", object_type="probe",
                           object_id="=HYPERLINK(\"http://evil\")")  # fmt: skip
    answer = await client.get("/audit/export.csv", params={"actor": "csv_probe"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    body = answer.content.decode("utf-8")
    assert body.startswith("\ufefforg_unit,seq,at")
    assert "'=HYPERLINK" in body
    assert ",=HYPERLINK" not in body
    async with tenant_transaction(auditor.context()):
        exported = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'audit.exported'"
            " AND actor_user_id = $2",
            auditor.org_unit.id, auditor.user_id,
        )  # fmt: skip
    assert exported == 1
