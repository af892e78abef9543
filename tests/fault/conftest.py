from __future__ import annotations

from collections.abc import Iterator

import pytest

from renshe.jobs import kinds
from tests.fault.workers import Worker


@pytest.fixture(scope="session", autouse=True)
def test_kinds() -> Iterator[None]:
    """Register the test-only kind ``testing.sleep`` (and let worker subprocesses do the same)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(kinds.TEST_KINDS_VARIABLE, "1")
        kinds.load()
        yield


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """The worker processes a test starts (``start_worker``), stopped at its end."""
    started: list[Worker] = []
    yield started
    for w in started:
        w.stop()
