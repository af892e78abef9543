from __future__ import annotations

from collections.abc import Iterator

import pytest

from renshe.jobs import kinds


@pytest.fixture(scope="session", autouse=True)
def test_kinds() -> Iterator[None]:
    """Register the test-only kind ``testing.sleep`` (and let worker subprocesses do the same)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(kinds.TEST_KINDS_VARIABLE, "1")
        kinds.load()
        yield
