"""A small process supervisor for ``renshe demo``: start children, restart the ones that die,
stop them all (process group by process group) on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from renshe.cli.console import say

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
    """Ctrl-C and SIGTERM only set a flag once children may exist: the handlers are installed
    (``install_signal_handlers``) before anything is printed or started, so a signal at any later
    moment ends in ``stop()``, never in a ``KeyboardInterrupt`` that skips it half-way."""

    def __init__(self, children: list[Child]) -> None:
        self.children = children
        self._stopping = False
        self._started = False
        self._previous: dict[signal.Signals, object] = {}

    @property
    def stopping(self) -> bool:
        return self._stopping

    def install_signal_handlers(self) -> None:
        self._previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore_signal_handlers(self) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)  # type: ignore[arg-type]
        self._previous = {}

    def _on_signal(self, signum: int, frame: object) -> None:
        first = not self._stopping
        self._stopping = True
        if first and not self._started:
            # Still preparing (migrations, seeding): nothing to stop yet, so interrupt that work
            # as Ctrl-C always does. A second signal only repeats the request: the clean-up that
            # the first one started must not be cut short.
            raise KeyboardInterrupt

    def start(self) -> None:
        self._started = True  # from here on a signal only asks for a stop
        for child in self.children:
            if self._stopping:
                return
            child.start()
            log.info("started", child=child.name, pid=child.process.pid if child.process else None)

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Poll ``condition`` until it holds (True), ``timeout`` passes or a stop is asked (False)."""
        deadline = time.monotonic() + timeout
        while not self._stopping:
            if condition():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
        return False

    def run(self) -> int:
        """Watch the children until a signal arrives; restart a child that exits on its own."""
        while not self._stopping:
            for child in self.children:
                if child.alive() or self._stopping:
                    continue
                code = child.process.returncode if child.process else None
                if child.restarts >= MAX_RESTARTS:
                    say(f"renshe demo: {child.name} keeps exiting (code {code}); stopping", err=True)
                    return 1
                child.restarts += 1
                say(f"renshe demo: {child.name} exited (code {code}); restarting", err=True)
                time.sleep(min(2**child.restarts, 10) * 0.5)
                if not self._stopping:
                    child.start()
            time.sleep(0.2)
        return 0

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


INTERRUPTED = 130  # the shell's code for a command ended by SIGINT


def run_demo(
    supervisor: Supervisor,
    *,
    starting: str,
    prepare: Callable[[], None],
    ready: Callable[[], bool],
    banner: Callable[[], str],
    cleanup: Callable[[], None],
    ready_timeout: float = 60.0,
) -> int:
    """``renshe demo`` from the first line printed to the last: prepare (servers, migrations,
    data), start the children, show the banner once ready, watch until Ctrl-C or SIGTERM, then stop
    the children and ``cleanup``. Every exit path stops what was started, whatever the signal's
    timing and whether stdout still works. Returns the exit code (0 for a requested stop)."""
    supervisor.install_signal_handlers()  # before anything is printed or started
    code = INTERRUPTED
    try:
        say(starting)
        prepare()
        try:
            supervisor.start()
            if supervisor.wait_until(ready, ready_timeout):
                say(banner())
                code = supervisor.run()
            elif supervisor.stopping:
                code = 0
            else:
                say("renshe demo: the web server did not become ready", err=True)
                code = 1
        finally:
            say("stopping…")
            supervisor.stop()
    except KeyboardInterrupt:  # only while preparing, before any child was started
        code = INTERRUPTED
    finally:
        try:
            cleanup()
        finally:
            supervisor.restore_signal_handlers()
    say("stopped.")
    return code
