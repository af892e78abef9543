"""Migrations apply once, refuse edited history, and `renshe db url` gives working role logins."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest

from renshe.db import migrate, urls
from renshe.settings import Settings


async def test_second_migrate_applies_nothing(db: None, settings: Settings) -> None:
    assert await migrate.migrate(settings) == []


async def test_an_applied_file_that_changed_stops_migrate(
    db: None, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = migrate.available()
    edited = [migrate.Migration(real[0].version, real[0].name, real[0].sql + "\n-- edited"), *real[1:]]
    monkeypatch.setattr(migrate, "available", lambda: edited)
    with pytest.raises(migrate.MigrationError, match="changed after it was applied"):
        await migrate.migrate(settings)


@pytest.mark.parametrize(
    ("role", "user", "bypass"),
    [("app", "renshe_app", False), ("owner", "renshe_owner", False), ("maint", "renshe_maint", True)],
)
async def test_db_url_prints_a_login_for_each_role(db: None, role: str, user: str, bypass: bool) -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "renshe", "db", "url", "--role", role],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert printed.startswith("postgresql://")
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(printed))
    try:
        row = await conn.fetchrow(
            "SELECT current_user AS who, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert (row["who"], row["rolbypassrls"]) == (user, bypass)
        # without a tenant context only the role that bypasses RLS sees tenant rows
        seen = await conn.fetchval("SELECT count(*) FROM audit_log")
        assert (seen > 0) is bypass
    finally:
        await conn.close()
