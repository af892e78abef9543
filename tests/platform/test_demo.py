"""`renshe demo` from nothing: embedded servers, migrations, tenants, demo data, web + worker +
scheduler under one supervisor; Ctrl-C stops every child; a second run reuses the data."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from renshe import embedded
from tests.platform.leftovers import TAG, Leftovers, still_running, tree


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path, port: int, leftovers: Leftovers) -> subprocess.Popen[str]:
    env = {k: v for k, v in leftovers.env().items() if not k.startswith("RENSHE_") or k == TAG}
    env.update(RENSHE_DATA_DIR=str(data_dir), RENSHE_LOG_LEVEL="WARNING")
    return subprocess.Popen(
        [sys.executable, "-m", "renshe", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_for_banner(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if "stop: Ctrl-C" in line:
            return "".join(seen)
    proc.kill()
    pytest.fail("demo did not print its banner:\n" + "".join(seen[-40:]))


def _stop(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    children = tree(proc.pid)[1:]
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 0
    return children


@pytest.mark.integration
def test_demo_runs_serves_login_stops_cleanly_and_restarts_on_its_data(leftovers: Leftovers) -> None:
    """Whatever happens, the ``leftovers`` fixture kills every process the demo started."""
    data_dir = Path(tempfile.mkdtemp(prefix="rs-demo-"))
    port = _free_port()
    try:
        proc = _start(data_dir, port, leftovers)
        banner = _wait_for_banner(proc, 240)
        assert f"http://127.0.0.1:{port}" in banner
        assert "Renshe@2026demo" in banner and "clerk_C" in banner and "auditor" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
            html = page.read().decode()
        assert page.status == 200 and "登录" in html
        children = _stop(proc)
        assert len(children) >= 3  # web, worker(s), scheduler
        assert not still_running(children)
        assert not embedded.postgres_running(data_dir)

        proc = _start(data_dir, port, leftovers)  # how fast: `python -m bench --only demo` (goal ≤ 10 s)
        banner = _wait_for_banner(proc, 120)
        assert "demo data seeded" not in banner  # seeded once, reused
        assert not still_running(_stop(proc))
    finally:
        embedded.wipe(data_dir)
