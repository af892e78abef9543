"""Demo start: ``renshe demo`` on data it made before, to the first 200 from ``/readyz`` (goal
≤ 10 s). The first start (servers initialised, migrations, tenants, demo data) is not measured:
07-quality asks for the second, the one a person waits for every morning.

It runs in its own data directory with its own embedded servers, as a new checkout would.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.report import Result

GOAL_SECONDS = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _start_until_ready(data_dir: Path, port: int, timeout: float) -> tuple[subprocess.Popen[bytes], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENSHE_")}
    env.update(RENSHE_DATA_DIR=str(data_dir), RENSHE_LOG_LEVEL="WARNING")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "renshe", "demo", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    while time.perf_counter() - t0 < timeout:
        if _ready(f"http://127.0.0.1:{port}/readyz"):
            return proc, time.perf_counter() - t0
        if proc.poll() is not None:
            raise RuntimeError(f"renshe demo exited with {proc.returncode} before it was ready")
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError(f"renshe demo was not ready within {timeout:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)


def run() -> Result:
    data_dir = Path(tempfile.mkdtemp(prefix="rs-bench-demo-"))  # short: Unix sockets live in it
    port = _free_port()
    try:
        proc, first = _start_until_ready(data_dir, port, 600)
        _stop(proc)
        proc, second = _start_until_ready(data_dir, port, 120)
        _stop(proc)
    finally:
        from renshe import embedded

        embedded.stop_all(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    return Result(
        name="demo start",
        product=f"second `renshe demo` to 200 from /readyz: {second:.1f} s "
        f"(the first, seeding: {first:.0f} s)",
        baseline="—",
        ratio=second,
        goal=GOAL_SECONDS,
        higher_is_better=False,
        unit=" s",
    )
