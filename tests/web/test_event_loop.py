"""Reading a bank return and writing an XLSX export never block the event loop: ``/healthz``
answers within 200 ms (issue 8) while a 20,000-row return is parsed through the real upload route
and while a 100,000-row people export is written: every probe, not a percentile. Both run in a
pool process (:mod:`renshe.offload`); in a thread they shared the GIL with the loop and held probes
0.3–2 s on this 2-core machine.

The application runs as it does in production — ``renshe web`` (uvicorn) in its own process, on
the test database — and this test talks to it over TCP: the heavy request in one task, the health
probes in another. A handler doing CPU work on the server's loop holds every probe until it is
done. (In-process ASGI would run client and server in one interpreter, where every loop turn of
the client also waits for the GIL: it measures the test, not the server.) Each probe's latency
counts from when it was due, so a stall cannot hide in the pause between two probes.
"""

from __future__ import annotations

import asyncio
import gc
import io
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from datetime import date
from typing import TypeVar

import asyncpg
import httpx
import pytest
import pytest_asyncio
from openpyxl import Workbook, load_workbook

from renshe.accounts.principal import Role
from renshe.disbursement.build import BuildRequest, build
from tests.accounts.support import signed_in
from tests.disbursement.awards import district, make_ready
from tests.live_server import RENSHE_WEB, live_server
from tests.registry.support import api_headers

pytestmark = pytest.mark.asyncio(loop_scope="session")
T = TypeVar("T")
BOUND = 0.2  # seconds: what every probe must meet
# Fewer probes than this and the work was too short to say anything (on the loop, the 20,000-row
# return holds it ~4 s and the export about 20 s: either shows as dozens of late probes).
ENOUGH_PROBES = 5
PACE = 0.025  # between two probes: they measure the loop without crowding the GIL
RETURN_ROWS = 20_000
EXPORT_ROWS = 100_000
HESHAN, KAIPING = "440784", "440783"
MARK = "导出压测"


@pytest.fixture(scope="module")
def server(db: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``renshe web`` on a free port (the test environment inherited), until the module ends."""
    with live_server(tmp_path_factory.mktemp("web") / "web.log", RENSHE_WEB, ready="/healthz") as url:
        yield url


def client_of(url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=url, timeout=300)


@pytest_asyncio.fixture(loop_scope="session")
async def prober(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(server) as c:
        yield c


async def while_probing(prober: httpx.AsyncClient, work: Awaitable[T]) -> tuple[T, list[float]]:
    """``work``'s result and the latency of every ``/healthz`` asked while it ran.

    The prober's own garbage collector is off meanwhile: late in a full run this test process
    holds the whole session's objects, and one full collection here (seen: 2 s in CI) would be
    counted against the server."""
    task = asyncio.ensure_future(work)
    latencies: list[float] = []
    gc.collect()
    gc.disable()
    try:
        while not task.done():
            # measured from when the probe is due, not from when the loop got round to sending it:
            # a loop held by the upload would otherwise hide inside the pause between two probes
            due = time.perf_counter() + PACE
            await asyncio.sleep(PACE)
            answer = await prober.get("/healthz")
            latencies.append(time.perf_counter() - due)
            assert answer.status_code == 200
        return await task, latencies
    finally:
        gc.enable()


def check(latencies: list[float]) -> None:
    ordered = sorted(latencies)
    p95 = ordered[int(len(ordered) * 0.95)]
    slowest = ordered[-1]
    summary = f"{len(ordered)} probes, 95th percentile {p95 * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms"
    print(summary)
    assert slowest < BOUND, summary
    assert len(ordered) >= ENOUGH_PROBES, f"{summary}: the work was too quick to tell"


def return_workbook(references: list[str], rows: int) -> bytes:
    """A bank's return: the batch's lines paid, then unknown references up to ``rows`` rows."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("回单")
    sheet.append(["业务参考号", "交易状态", "失败原因"])
    for n in range(rows):
        sheet.append([references[n] if n < len(references) else f"UNKNOWN{n:08d}", "成功", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def test_healthz_answers_while_a_20000_row_return_is_parsed(
    server: str, prober: httpx.AsyncClient, admin_url: str
) -> None:
    tenant = await district(HESHAN)
    await make_ready(admin_url, tenant, 2, amount_fen=12_300)
    built = await build(BuildRequest(tenant, date(2026, 7, 8), "nightly", "nightly:loop-free-return"))
    batch_id = built.batches[0]
    finance = await api_headers(HESHAN, Role.FINANCE)
    async with client_of(server) as client:
        base = f"/api/v1/disbursement-batches/{batch_id}"
        version = (await client.get(base, headers=finance)).json()["version"]
        approved = await client.post(f"{base}/approve", json={"version": version}, headers=finance)
        assert approved.status_code == 200
        assert (await client.get(f"{base}/bank-file", headers=finance)).status_code == 200
        lines = (await client.get(base, headers=finance)).json()["lines"]
        content = return_workbook([line["reference"] for line in lines], RETURN_ROWS)

        files = {"file": ("回单.xlsx", content, "application/octet-stream")}
        upload = client.post(f"{base}/bank-return", headers=finance, files=files)
        answer, latencies = await while_probing(prober, upload)
    assert answer.status_code == 200, answer.text
    assert answer.json()["paid"] == 2 and len(answer.json()["errors"]) == RETURN_ROWS - 2
    check(latencies)


@pytest_asyncio.fixture(loop_scope="session")
async def many_people(admin_url: str) -> AsyncIterator[None]:
    tenant = await district(KAIPING)
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(
            f"""INSERT INTO persons (tenant_id, name, residency, address)
                SELECT $1, '{MARK}' || g, 'mainland', '开平市长沙街道' || g || '号'
                FROM generate_series(1, $2) g""",
            tenant,
            EXPORT_ROWS,
        )
        await conn.execute("ANALYZE persons")
        yield
    finally:
        await conn.execute(f"DELETE FROM persons WHERE tenant_id = $1 AND name LIKE '{MARK}%'", tenant)
        await conn.close()


async def test_healthz_answers_while_a_100000_row_xlsx_export_is_written(
    server: str, prober: httpx.AsyncClient, many_people: None
) -> None:
    async with client_of(server) as clerk:
        await signed_in(clerk, KAIPING, Role.CLERK)
        export = clerk.get("/registry/people/export", params={"format": "xlsx", "name": MARK})
        answer, latencies = await while_probing(prober, export)
    assert answer.status_code == 200 and answer.content[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).active
    assert sheet is not None
    assert sum(1 for _row in sheet.iter_rows(min_col=1, max_col=1, values_only=True)) == EXPORT_ROWS + 1
    check(latencies)
