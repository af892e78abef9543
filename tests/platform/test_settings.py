"""Settings are read once from RENSHE_* variables; a wrong value names the variable."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from renshe.settings import SettingsError, load_settings


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"RENSHE_DATA_DIR": str(tmp_path), **extra}


def _production_env(tmp_path: Path) -> dict[str, str]:
    """A complete production configuration (external servers, every key set)."""
    return _env(
        tmp_path,
        RENSHE_ENV="production",
        RENSHE_DATABASE_URL="postgresql://db/renshe",
        RENSHE_REDIS_URL="redis://cache:6379/0",
        RENSHE_SECRET_KEY="s" * 40,
        RENSHE_DATA_KEY="d" * 40,
        RENSHE_INDEX_KEY="i" * 40,
    )


def test_defaults_generate_secrets_once_into_the_data_dir(tmp_path: Path) -> None:
    first = load_settings(_env(tmp_path))
    second = load_settings(_env(tmp_path))
    assert first.env == "development" and first.embedded_database and first.embedded_redis
    assert len(first.secret_key) >= 32 and first.secret_key == second.secret_key
    assert first.data_key != first.secret_key
    assert (tmp_path / "secrets" / "renshe_secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("RENSHE_ENV", "staging", "must be one of"),
        ("RENSHE_DATABASE_URL", "mysql://x/y", "postgresql://"),
        ("RENSHE_REDIS_URL", "http://localhost", "redis://"),
        ("RENSHE_SESSION_IDLE_MINUTES", "soon", "whole number"),
        ("RENSHE_LOCKOUT_FAILURES", "0", "between 1 and 100"),
        ("RENSHE_SECRET_KEY", "short", "at least 32"),
        ("RENSHE_DEMO_TOTP_SECRET", "not base32!", "base32"),
        ("RENSHE_SECURE_COOKIES", "maybe", "true or false"),
        ("RENSHE_LOG_LEVEL", "LOUD", "DEBUG"),
        ("RENSHE_BATCH_BUILDERS", "9", "between 1 and 8"),
        ("RENSHE_METRICS_ALLOW", "10.0.0.0/8,prometheus", "'prometheus'"),
        ("RENSHE_METRICS_ALLOW", "10.0.0.5/24", "CIDR"),
    ],
)
def test_a_wrong_value_names_the_variable(tmp_path: Path, variable: str, value: str, fragment: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env(tmp_path, **{variable: value}))
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)
    assert fragment in str(caught.value)


def test_the_metrics_allow_list_takes_addresses_and_networks(tmp_path: Path) -> None:
    settings = load_settings(_env(tmp_path, RENSHE_METRICS_ALLOW=" 10.1.0.0/16, 192.0.2.7 ,2001:db8::/32"))
    assert [str(n) for n in settings.metrics_allow] == ["10.1.0.0/16", "192.0.2.7/32", "2001:db8::/32"]
    assert load_settings(_env(tmp_path)).metrics_allow == ()


def test_production_refuses_embedded_servers_and_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(_env(tmp_path, RENSHE_ENV="production"))
    assert caught.value.variable == "RENSHE_DATABASE_URL"
    with pytest.raises(SettingsError) as caught:
        load_settings(
            _env(
                tmp_path,
                RENSHE_ENV="production",
                RENSHE_DATABASE_URL="postgresql://db/renshe",
                RENSHE_REDIS_URL="redis://cache:6379/0",
            )
        )
    assert caught.value.variable == "RENSHE_SECRET_KEY"
    ok = load_settings(_production_env(tmp_path))
    assert ok.secure_cookies and ok.log_format == "json"


def test_the_command_line_stops_with_the_variable_named(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "renshe", "db", "url"],
        env={"PATH": "/usr/bin:/bin", "RENSHE_DATA_DIR": str(tmp_path), "RENSHE_ENV": "prod"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "RENSHE_ENV" in result.stderr
    assert "Traceback" not in result.stderr


async def test_the_demo_data_set_is_refused_in_production(tmp_path: Path) -> None:
    """Its accounts would carry the published demo password and TOTP secret."""
    from renshe.cli.seed import DemoNotForProduction, seed_demo

    production = load_settings(_production_env(tmp_path))
    with pytest.raises(DemoNotForProduction, match="production"):
        await seed_demo(production)
