"""The application served in a process of its own, as in production, for tests that need a real
socket: a browser, schemathesis over HTTP, or probes that must see a blocked event loop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
UVICORN = [sys.executable, "-m", "uvicorn", "renshe.web.app:create_app", "--factory", "--no-access-log"]
RENSHE_WEB = [str(Path(sys.executable).parent / "renshe"), "web"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(log_path: Path, command: list[str] = UVICORN, ready: str = "/readyz") -> Iterator[str]:
    """Start ``command`` on a free loopback port with the test session's environment, wait (bounded)
    until ``ready`` answers 200, yield its base URL; stop it (SIGTERM, then SIGKILL) afterwards."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(base + ready, timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"the web server did not start; see {log_path}")
                time.sleep(0.1)  # polling for the server to listen, bounded above
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
