"""What keeps the suite's outcome independent of the day it runs and of luck (docs/testing.md,
"Determinism").

* ``clock``: puts ``renshe.clock`` (every business-logic read of today / now in the in-process
  application) on a fixed instant the test can move. Real time again after the test.
* ``rng``: a ``random.Random`` seeded per test from the session seed and the test's id. The
  session seed is random unless ``RENSHE_TEST_SEED`` sets it; it is printed in the header and,
  with the line to replay it, in the report of every failed test that drew from ``rng``.
  ``session_seed()`` seeds the module-level helpers (``tests/registry/support.py``) the same way.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import pytest

from renshe import clock as renshe_clock

SEED_VARIABLE = "RENSHE_TEST_SEED"
# A Tuesday in March 2026: an ordinary working day, inside a published holiday calendar.
DEFAULT_NOW = datetime(2026, 3, 10, 10, 0, tzinfo=renshe_clock.SHANGHAI)
_SEED_KEY = pytest.StashKey[int]()


def session_seed() -> int:
    """This run's seed: ``RENSHE_TEST_SEED`` or a random one, the same for the whole process
    (a subprocess of a test inherits it through the environment)."""
    raw = os.environ.get(SEED_VARIABLE)
    if not raw:
        raw = str(secrets.randbits(32))
        os.environ[SEED_VARIABLE] = raw
    return int(raw)


class FrozenClock:
    """The instant ``renshe.clock.now()`` answers while the ``clock`` fixture is in use."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def set(self, at: datetime | date) -> None:
        """Stand still at ``at`` (a date means 10:00 that day in Asia/Shanghai)."""
        if not isinstance(at, datetime):
            at = datetime.combine(at, time(10, 0), tzinfo=renshe_clock.SHANGHAI)
        if at.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        self.at = at

    def advance(self, delta: timedelta) -> None:
        self.at += delta

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.astimezone(renshe_clock.SHANGHAI).date()


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock(DEFAULT_NOW)
    renshe_clock.set_now(frozen.now)
    try:
        yield frozen
    finally:
        renshe_clock.set_now(None)


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> random.Random:
    seed = session_seed()
    request.node.stash[_SEED_KEY] = seed
    # Per test, not per draw order: replaying one test alone gives it the same numbers.
    return random.Random(f"{seed}:{request.node.nodeid}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"random seed: {SEED_VARIABLE}={session_seed()}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    seed = item.stash.get(_SEED_KEY, None)
    if seed is not None and report.failed:  # type: ignore[attr-defined]
        report.sections.append(  # type: ignore[attr-defined]
            ("random seed", f"replay with: {SEED_VARIABLE}={seed} uv run pytest '{item.nodeid}'")
        )
    return report
