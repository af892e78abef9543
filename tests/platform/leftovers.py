"""Processes a test started must not outlive it, even when the test fails half-way.

Every process started with ``Leftovers.env()`` carries a tag in its environment, and so does
everything it starts in turn (also children in sessions of their own, which ``children()`` of a
dead parent no longer finds). The ``leftovers`` fixture kills whatever still carries the tag when
the test ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator

import psutil
import pytest

TAG = "RENSHE_TEST_PROCESS_TAG"


class Leftovers:
    def __init__(self) -> None:
        self.tag = secrets.token_hex(8)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment for a process this test starts: tagged."""
        return {**os.environ, **extra, TAG: self.tag}

    def tagged(self) -> list[psutil.Process]:
        """Every running (not zombie) process carrying this test's tag."""
        found = []
        for p in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if p.environ().get(TAG) == self.tag and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
        return found

    def kill_all(self) -> list[psutil.Process]:
        survivors = self.tagged()
        for p in survivors:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(survivors, timeout=10)
        return survivors


def tree(pid: int) -> list[psutil.Process]:
    """A process and everything below it, now."""
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def still_running(processes: list[psutil.Process], timeout: float = 10.0) -> list[psutil.Process]:
    """Those of ``processes`` still running (not zombies) after waiting up to ``timeout`` for them."""
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    running = []
    for p in alive:
        with contextlib.suppress(psutil.Error):
            if p.status() != psutil.STATUS_ZOMBIE:
                running.append(p)
    return running


def wait_for(condition: object, what: str, timeout: float = 30.0) -> None:
    """Poll ``condition()`` until true, at most ``timeout`` seconds (no fixed sleeps)."""
    assert callable(condition)
    deadline = time.monotonic() + timeout
    delay = 0.01
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 2, 0.25)


@pytest.fixture
def leftovers() -> Iterator[Leftovers]:
    tracker = Leftovers()
    yield tracker
    tracker.kill_all()
