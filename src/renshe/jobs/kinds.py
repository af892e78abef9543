"""The job kinds (任务类型): kind name → handler, queue, time limit, attempts, nightly or not.

A kind's name is also the name of its Dramatiq actor (``domain.verb``): the web side sends a
message by name, the worker side declares an actor with that name (``workers/actors/<domain>.py``)
that calls :func:`renshe.jobs.runner.run`. Each domain registers its kinds from one module listed
in :data:`KIND_MODULES`; :func:`load` imports them once per process.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from renshe.jobs.runner import JobRun

Handler = Callable[["JobRun"], Awaitable[dict[str, Any] | None]]
# A succeeded job's result in one sentence, in the reader's language (called at render time).
Summary = Callable[[dict[str, Any]], str]
UnitKind = Literal["district", "city"]

# Modules that call register() when imported. A domain adds its own here.
KIND_MODULES: tuple[str, ...] = (
    "renshe.audit.tasks",
    "renshe.registry.keys",
    "renshe.registry.imports.tasks",
    "renshe.subsidies.applications.tasks",
    "renshe.disbursement.tasks",
    "renshe.disbursement.export_job",
    "renshe.talent.tasks",
    "renshe.hkmo.tasks",
    "renshe.rollups.tasks",
)
# A slow, killable kind for the fault tests; never registered unless explicitly enabled.
TEST_KIND_MODULES: tuple[str, ...] = ("renshe.jobs.testing",)
TEST_KINDS_VARIABLE = "RENSHE_ENABLE_TEST_KINDS"
DEFAULT_QUEUE = "default"


@dataclass(frozen=True, slots=True)
class JobKind:
    """How one kind of job runs.

    ``handler`` runs inside a tenant transaction of the job's org unit and must be idempotent:
    running it twice, or again after a crash at any line, gives the end state of running it once.
    It returns the JSON result stored in ``jobs.result``.
    """

    name: str
    handler: Handler
    queue: str = DEFAULT_QUEUE
    time_limit_seconds: int = 15 * 60
    max_attempts: int = 5
    nightly: bool = False  # fanned out once per active org unit per business date
    # which kinds of org unit a nightly fan-out targets (a district; the city bureau too?)
    unit_kinds: frozenset[UnitKind] = frozenset({"district"})
    title: str = ""  # English msgid shown on the jobs page
    # work nobody asked for that runs every few seconds (the rollups' fold, 汇总刷新): left off the
    # jobs list unless asked for, where it would push the office's own jobs off the first page
    routine: bool = False
    summary: Summary | None = None  # what the result says, in words (else the page shows JSON)

    @property
    def max_retries(self) -> int:
        """Dramatiq retries after the first attempt (the jobs table counts attempts)."""
        return max(self.max_attempts - 1, 0)


_registry: dict[str, JobKind] = {}
_imported: set[str] = set()


def register(kind: JobKind) -> JobKind:
    existing = _registry.get(kind.name)
    if existing is not None and existing.handler is not kind.handler:
        raise ValueError(f"job kind {kind.name!r} registered twice")
    _registry[kind.name] = kind
    return kind


def test_kinds_enabled() -> bool:
    return os.environ.get(TEST_KINDS_VARIABLE) == "1"


def load() -> dict[str, JobKind]:
    """Import every kind module (once each) and return the registry."""
    modules = KIND_MODULES + (TEST_KIND_MODULES if test_kinds_enabled() else ())
    for name in modules:
        if name not in _imported:
            importlib.import_module(name)
            _imported.add(name)
    return dict(_registry)


def get(name: str) -> JobKind | None:
    return load().get(name)


def require(name: str) -> JobKind:
    kind = get(name)
    if kind is None:
        raise LookupError(f"unknown job kind {name!r}")
    return kind


def summarize(kind: str, result: dict[str, Any] | None) -> str | None:
    """The sentence a succeeded job of ``kind`` shows for ``result``; None when the kind has no
    summary or the result is not what it expects (an old row, a changed shape)."""
    spec = get(kind)
    if spec is None or spec.summary is None or not result:
        return None
    try:
        return spec.summary(result)
    except (KeyError, TypeError, ValueError):
        return None


def routine() -> frozenset[str]:
    """The names of the routine kinds (see :attr:`JobKind.routine`)."""
    return frozenset(k.name for k in load().values() if k.routine)


def nightly() -> list[JobKind]:
    return sorted((k for k in load().values() if k.nightly), key=lambda k: k.name)
