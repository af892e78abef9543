"""Real worker processes for the fault tests: `renshe worker` against the test database and Redis
(the test environment is inherited), started in their own process group so a test can SIGKILL
the whole worker — main process and forked children — at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO
from uuid import UUID

import asyncpg

RENSHE = str(Path(sys.executable).parent / "renshe")
STALE_SECONDS = 5  # the smallest the settings allow: a dead worker is noticed quickly
READY_LINE = "Worker process is ready for action."


class Worker:
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Worker:
        env = os.environ.copy()
        env.update(
            RENSHE_ENABLE_TEST_KINDS="1",
            RENSHE_JOB_STALE_SECONDS=str(STALE_SECONDS),
            RENSHE_LOG_LEVEL="INFO",
            RENSHE_LOG_FORMAT="console",
        )
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [RENSHE, "worker", "--processes", "1", "--threads", "2"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return self

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while READY_LINE not in self.log:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited early:\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker not ready after {timeout}s:\n{self.log}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no cleanup, no goodbye."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int | None:
        """SIGTERM the process group, as a supervisor does; the exit code (None: had to kill)."""
        if self.proc is None or self.proc.poll() is not None:
            self._close()
            return self.proc.returncode if self.proc else None
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            print("worker did not stop on SIGTERM:\n", self.log[-4000:])
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
            self._close()
            return None
        self._close()
        return self.proc.returncode

    def _close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.2)


@asynccontextmanager
async def frozen_job(admin_url: str, tenant: UUID, job_id: UUID) -> AsyncIterator[str]:
    """Hold the job's row lock and yield its status. While held, a running job blocks at its next
    progress report or heartbeat and cannot mark itself finished, so a kill inside the block
    surely lands in the middle of the job, however fast the machine is."""
    conn = await asyncpg.connect(admin_url)
    try:
        async with conn.transaction():
            status = await conn.fetchval(
                "SELECT status FROM jobs WHERE tenant_id = $1 AND id = $2 FOR UPDATE", tenant, job_id
            )
            yield str(status)
    finally:
        await conn.close()


async def start_worker(workers: list[Worker], tmp_path: Path) -> Worker:
    """A new ``renshe worker``, ready, kept in ``workers`` (the fixture stops them all)."""
    w = Worker(tmp_path / f"worker-{len(workers)}.log").start()
    workers.append(w)
    await w.ready()
    return w
