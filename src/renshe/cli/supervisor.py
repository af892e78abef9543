"""A small process supervisor for ``renshe demo``: start children, restart the ones that die,
stop them all (process group by process group) on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import structlog

log = structlog.get_logger(__name__)
MAX_RESTARTS = 5


@dataclass(slots=True)
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)

    def start(self) -> None:
        # A session of its own: the terminal's Ctrl-C reaches only the supervisor, which then
        # stops the children in order instead of all at once.
        self.process = subprocess.Popen(self.argv, start_new_session=True)  # noqa: S603
        self.started_at = time.monotonic()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


class Supervisor:
    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stopping = False

    def start(self) -> None:
        for child in self.children:
            child.start()
            log.info("started", child=child.name, pid=child.process.pid if child.process else None)

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def run(self) -> int:
        """Watch the children until a signal arrives; restart a child that exits on its own."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not self._stopping:
                for child in self.children:
                    if child.alive() or self._stopping:
                        continue
                    code = child.process.returncode if child.process else None
                    if child.restarts >= MAX_RESTARTS:
                        print(
                            f"renshe demo: {child.name} keeps exiting (code {code}); stopping",
                            file=sys.stderr,
                        )
                        return 1
                    child.restarts += 1
                    print(
                        f"renshe demo: {child.name} exited (code {code}); restarting",
                        file=sys.stderr,
                    )
                    time.sleep(min(2**child.restarts, 10) * 0.5)
                    child.start()
                time.sleep(0.2)
            return 0
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM every child's process group, wait, then SIGKILL what is left."""
        for child in reversed(self.children):
            child.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.signal_group(signal.SIGKILL)
                child.process.wait()
            # workers fork their own children: make sure the group is gone
            child.signal_group(signal.SIGKILL)
