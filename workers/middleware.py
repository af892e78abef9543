"""Worker middleware: the database pool in the worker's event loop, and log context per message."""

from __future__ import annotations

import signal
import threading
from typing import Any

import dramatiq
import structlog
from dramatiq.asyncio import get_event_loop_thread

from renshe.db import engine
from renshe.logging import configure_logging
from renshe.settings import Settings


class DatabasePool(dramatiq.Middleware):
    """Open the application-role pool on the event loop that runs the async actors.

    Listed *before* ``AsyncIO``: the pool is opened when the first worker thread boots (the loop
    runs by then) and closed after the worker threads have stopped, before the loop stops.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        configure_logging(self.settings)

    def after_worker_thread_boot(self, broker: dramatiq.Broker, thread: Any) -> None:
        with self._lock:
            if engine.is_started():
                return
            loop = get_event_loop_thread()
            if loop is None:
                raise RuntimeError("the AsyncIO middleware must run before DatabasePool")
            # Each job holds one connection for its work plus short ones for progress/heartbeat,
            # and a batch build one more per builder.
            per_thread = 3 + self.settings.batch_builders
            size = max(4, per_thread * self.settings.worker_threads + 2)
            loop.run_coroutine(engine.start(self.settings, min_size=1, max_size=size))

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: Any) -> None:
        loop = get_event_loop_thread()
        if loop is not None and engine.is_started():
            loop.run_coroutine(engine.close())


class LogContext(dramatiq.Middleware):
    """Bind the job id, tenant and actor to every log line written while a message is processed
    (Dramatiq's own lines in the worker thread; the runner binds the same in the coroutine)."""

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        args = [*message.args, None, None]
        structlog.contextvars.bind_contextvars(
            actor=message.actor_name, tenant=args[0], job_id=args[1], message_id=message.message_id
        )

    def _clear(self) -> None:
        structlog.contextvars.unbind_contextvars("actor", "tenant", "job_id", "message_id")

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None, exception: Any = None
    ) -> None:
        self._clear()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._clear()


class OneStopSignal(dramatiq.Middleware):
    """Treat repeated SIGTERMs to a worker child as one request to stop gracefully.

    A supervisor (``renshe demo``, systemd's ``KillMode=control-group``, Kubernetes) signals the
    whole process group: each child gets the group's SIGTERM *and* the one Dramatiq's main process
    forwards. Dramatiq reads a second SIGTERM as "kill now" and exits without stopping its
    threads, which hangs the process. Here the child's first SIGTERM starts the graceful stop and
    later ones are ignored; SIGKILL remains the way to stop it hard.
    """

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        original = signal.getsignal(signal.SIGTERM)
        if not callable(original):
            return
        stopping = False

        def once(signum: int, frame: Any) -> None:
            nonlocal stopping
            if stopping:
                return
            stopping = True
            original(signum, frame)

        signal.signal(signal.SIGTERM, once)
