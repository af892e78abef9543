"""Pytest plugin for mutation runs only (``mutmut run`` loads it with ``-p tests.mutation_session``).

mutmut 3 calls ``pytest.main`` several times in one process (collect, stats, forced fail) and
then once per mutant in a forked child. ``tests/conftest.py`` creates a database per session and
writes its URL into the environment, which the next in-process session would take for a
subprocess's and reuse after it was dropped. This plugin puts the environment and the settings
cache back after each session, so every session (every mutant) gets its own fresh database.
It also lets the copy under ``mutants/`` use the worktree's embedded servers (``var/``) instead
of starting a second PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_saved: dict[str, str | None] = {}
KEYS = ("RENSHE_TEST_DB", "RENSHE_DATABASE_URL", "RENSHE_REDIS_URL", "RENSHE_DATA_DIR", "RENSHE_ENV")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    here = Path.cwd()
    if here.name == "mutants" and not (here / "var").exists() and (here.parent / "var").is_dir():
        (here / "var").symlink_to(here.parent / "var", target_is_directory=True)
    _saved.clear()
    _saved.update({key: os.environ.get(key) for key in KEYS})


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    for key, value in _saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    from renshe.settings import get_settings

    get_settings.cache_clear()
