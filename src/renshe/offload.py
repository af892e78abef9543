"""CPU-heavy work of the web process, done in separate processes (卸载到子进程).

Reading a 20,000-row bank return or writing a 100,000-row export is seconds of pure-Python CPU.
On the event loop it would hold every request of the process; in a thread it still shares the
GIL with the loop: each time the loop wants the interpreter back it waits for the thread's switch
interval, a request needs that a dozen times, and a collection of the thread's million objects
stops both. Measured on this 2-core machine: ``/healthz`` held 0.3–2 s by a thread, a few
milliseconds by a process (``tests/web/test_event_loop.py``, ``docs/performance.md``).

A small pool of *spawned* processes (never forked: the web process has threads and open sockets)
runs plain functions; arguments and results cross by pickle, so they are kept small: a file's
bytes in, parsed rows out; a filter in, a file out (the export process reads the database itself,
in the caller's tenant context, rather than receiving 100,000 rows to pickle). Each task sees the
same ``RENSHE_*`` environment as the web process at the time of the call, so settings read in the
child are the web process's settings.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

PROCESSES = 2  # the machines are small: one CPU for the loop, the rest for this pool
TASKS_PER_PROCESS = 100  # then a fresh process: whatever one hostile file left behind goes with it

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("RENSHE_")}


def _started() -> None:
    """Runs once in each new process: import what every task needs before the first one asks."""
    import openpyxl  # noqa: F401  # the heavy import, once per process, not per task


def _call(environment: dict[str, str], fn: Callable[..., T], *args: Any) -> T:
    if environment != _environment():
        from renshe.settings import get_settings

        for name in [k for k in os.environ if k.startswith("RENSHE_")]:
            del os.environ[name]
        os.environ.update(environment)
        get_settings.cache_clear()
    return fn(*args)


def pool() -> ProcessPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, like the database pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=PROCESSES,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_started,
                max_tasks_per_child=TASKS_PER_PROCESS,
            )
        return _pool


async def run(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args)`` in a pool process; its exceptions are raised here. ``fn`` must be a
    module-level function and its arguments and result picklable."""
    if kwargs:
        raise TypeError("offload.run passes positional arguments only")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(pool(), _call, _environment(), fn, *args)


def _nothing() -> None:
    """A task that only starts a process."""


def warm() -> None:
    """Start a pool process now (not awaited): the first task then finds it ready."""
    pool().submit(_nothing)


def shutdown() -> None:
    """Stop the pool's processes (at the end of the web process's life)."""
    global _pool  # noqa: PLW0603
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=True, cancel_futures=True)
            _pool = None
