"""``testing.sleep``: a slow job kind for the fault tests (registered only when
``RENSHE_ENABLE_TEST_KINDS=1``; see :mod:`renshe.jobs.kinds`).

It is written the way every real handler must be: idempotent and resumable. Its one effect is an
audit record ``testing.slept`` for the job, appended in the handler's transaction, so a worker
killed mid-way leaves nothing behind and a second run that finds the record does not add another.
Arguments: ``steps`` and ``step_seconds`` (how long it sleeps, reporting progress after each step)
and ``fail_attempts`` (raise on attempts up to this number, to exercise retries).
"""

from __future__ import annotations

import asyncio
from typing import Any

from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun

EFFECT_ACTION = "testing.slept"


class DeliberateFailure(RuntimeError):
    """Raised on purpose by ``fail_attempts``."""


async def sleep(run: JobRun) -> dict[str, Any]:
    conn = current_transaction().connection
    done = await conn.fetchval(
        "SELECT seq FROM audit_log WHERE tenant_id = $1 AND action = $2 AND object_id = $3",
        run.tenant_id,
        EFFECT_ACTION,
        str(run.job_id),
    )
    if done is not None:  # resumed after the effect committed: report it, do not repeat it
        return {"effect_seq": done, "attempt": run.attempt, "resumed": True}
    steps = int(run.args.get("steps", 1))
    step_seconds = float(run.args.get("step_seconds", 0))
    if run.attempt <= int(run.args.get("fail_attempts", 0)):
        raise DeliberateFailure(f"attempt {run.attempt} fails on purpose")
    for step in range(steps):
        await asyncio.sleep(step_seconds)
        await run.progress(step + 1, steps)
    seq = await audit.record(
        run.tenant_id,
        audit.SYSTEM,
        EFFECT_ACTION,
        object_type="job",
        object_id=run.job_id,
        after={"attempt": run.attempt},
    )
    return {"effect_seq": seq, "attempt": run.attempt, "resumed": False}


SLEEP = register(
    JobKind(
        name="testing.sleep",
        handler=sleep,
        time_limit_seconds=120,
        max_attempts=3,
        title="Test job (sleeps)",
    )
)
