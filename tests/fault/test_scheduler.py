"""`renshe scheduler` as a real process: it catches up the last night it may have missed and
runs the dispatcher sweep on its interval; SIGTERM stops it."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from workers.scheduler import SHANGHAI, last_due_business_date

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import queue, service
from tests.fault.workers import RENSHE, wait_for
from tests.jobs.support import key, messages_for, unit_id

pytestmark = [pytest.mark.fault, pytest.mark.usefixtures("db")]


async def test_scheduler_catches_up_and_sweeps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = await unit_id("440781")
    with monkeypatch.context() as m:  # a job whose send was lost
        m.setattr(queue, "send_now", lambda *a: (_ for _ in ()).throw(ConnectionError("crash")))
        async with tenant_transaction(TenantContext.district(tenant)):
            lost = await service.enqueue("audit.verify_chain", tenant, {}, key())
    assert await messages_for(lost.id) == []

    env = os.environ.copy()
    env.update(
        RENSHE_DISPATCHER_INTERVAL_SECONDS="1",
        RENSHE_JOB_STALE_SECONDS="5",
        RENSHE_LOG_LEVEL="INFO",
    )
    log_path = tmp_path / "scheduler.log"
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [RENSHE, "scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        day = last_due_business_date(datetime.now(SHANGHAI), 1)

        async def caught_up() -> bool:
            async with tenant_transaction(TenantContext.district(tenant)):
                return bool(
                    await current_transaction().connection.fetchval(
                        "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2",
                        tenant,
                        f"nightly:audit.verify_chain:{day.isoformat()}",
                    )
                )

        await wait_for(caught_up, 30, "the catch-up fan-out")

        async def resent() -> bool:
            return len(await messages_for(lost.id)) >= 1

        await wait_for(resent, 30, "the sweep to re-send the lost job")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        code = proc.wait(timeout=15)
    assert code == 0, log_path.read_text()
