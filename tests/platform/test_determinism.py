"""The suite's own determinism helpers (tests/determinism.py): a failing test that drew random
numbers names the seed to replay it with, and the same seed gives the same numbers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from renshe import clock as renshe_clock
from tests.determinism import DEFAULT_NOW, FrozenClock

ROOT = Path(__file__).resolve().parents[2]
FAILING = """
def test_draws_and_fails(rng):
    assert rng.random() < 0, "drew %r" % rng.random()
"""


def _run(tmp_path: Path, seed: str | None) -> tuple[int, str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_luck.py").write_text(FAILING)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    if seed is not None:
        env["RENSHE_TEST_SEED"] = seed
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.determinism", "-c", str(tmp_path / "pytest.ini"),
         "-p", "no:cacheprovider", str(tmp_path / "test_luck.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_a_failure_names_the_seed_and_the_seed_replays_it(tmp_path: Path) -> None:
    code, first = _run(tmp_path, "424242")
    assert code == 1, first
    assert "random seed: RENSHE_TEST_SEED=424242" in first  # in the header
    assert "replay with: RENSHE_TEST_SEED=424242 uv run pytest" in first  # in the failure
    drawn = re.search(r"drew ([0-9.]+)", first)
    assert drawn, first
    _, again = _run(tmp_path, "424242")
    assert f"drew {drawn.group(1)}" in again
    _, other = _run(tmp_path, None)  # no seed given: a fresh one, printed all the same
    assert re.search(r"replay with: RENSHE_TEST_SEED=\d+ ", other), other


def test_the_clock_fixture_moves_the_application_and_gives_it_back(clock: FrozenClock) -> None:
    assert renshe_clock.now() == DEFAULT_NOW
    clock.set(DEFAULT_NOW.date().replace(year=2040))
    assert renshe_clock.today().year == 2040


def test_without_the_fixture_the_clock_is_real() -> None:
    from datetime import UTC, datetime, timedelta

    assert abs(renshe_clock.now() - datetime.now(UTC)) < timedelta(minutes=1)
