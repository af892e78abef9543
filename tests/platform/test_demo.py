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
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
import pytest

from renshe import embedded
from tests.platform.leftovers import TAG, Leftovers, still_running, tree
from tests.registry.support import person_body

DEMO_PASSWORD = "Renshe@2026demo"


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


def _a_change_reaches_the_rollups_within_a_minute(base: str) -> None:
    """06-rollups freshness, through the API of the running demo (web, worker and scheduler): a
    clerk submits an application; the analyst sees it in the rollups within 60 s."""

    def token(client: httpx.Client, username: str) -> dict[str, str]:
        answer = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    with httpx.Client(base_url=base, timeout=20) as client:
        clerk, analyst = token(client, "clerk_440703"), token(client, "analyst_440700")
        person = client.post("/api/v1/people", json=person_body(name="时效测试"), headers=clerk)
        assert person.status_code == 201, person.text
        draft = client.post(
            "/api/v1/applications", headers=clerk,
            json={"program_code": "startup_once", "person_id": person.json()["id"],
                  "facts": {"returned_overseas_student": True}},
        )  # fmt: skip
        assert draft.status_code == 201, draft.text
        month = draft.json()["application_date"][:7]
        query = {"from": month, "to": month, "district": "440703", "metric": "applications"}

        def read() -> tuple[int, datetime]:
            answer = client.get("/api/v1/rollups", params=query, headers=analyst)
            assert answer.status_code == 200, answer.text
            as_of = datetime.fromisoformat(answer.json()["as_of"])
            return int(answer.json()["totals"]["applications"]), as_of

        def folded_since(since: datetime, within: float) -> int:
            """The count once everything changed before ``since`` is folded (bounded wait). The demo
            runs on this machine: its clock is ours."""
            started = time.monotonic()
            while (found := read())[1] < since:
                assert time.monotonic() - started < within, f"not folded within {within} s"
                time.sleep(1)
            return found[0]

        # what the demo's own seeding changed is folded first (a first fold of its history)
        before = folded_since(datetime.now(UTC), 300)
        submitted = client.post(
            f"/api/v1/applications/{draft.json()['id']}/submit", json={"version": 1}, headers=clerk
        )
        assert submitted.status_code == 200, submitted.text
        assert folded_since(datetime.now(UTC), 60) == before + 1


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
        _a_change_reaches_the_rollups_within_a_minute(f"http://127.0.0.1:{port}")
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
