"""Settings, read once from ``RENSHE_*`` environment variables (and ``.env`` in development).

A wrong value stops start-up with :class:`SettingsError` naming the variable.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from urllib.parse import urlsplit

ENVIRONMENTS = ("development", "test", "production")
# Documented demo defaults (README, "Demo logins"); only `renshe seed --demo` uses them.
DEFAULT_DEMO_PASSWORD = "Renshe@2026demo"  # noqa: S105 - documented demo value
DEFAULT_DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPRENSHE22"  # noqa: S105 - documented demo value
LOG_FORMATS = ("console", "json")


class SettingsError(ValueError):
    """A ``RENSHE_*`` variable has a value the application cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class Settings:
    env: str = "development"
    data_dir: Path = Path("var")
    database_url: str | None = None
    app_database_url: str | None = None
    maint_database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = ""
    data_key: str = ""
    data_keys_retired: tuple[str, ...] = ()
    index_key: str = ""
    demo_password: str = DEFAULT_DEMO_PASSWORD
    demo_totp_secret: str = DEFAULT_DEMO_TOTP_SECRET
    tenants_dir: Path = Path("tenants")
    log_format: str = "console"
    log_level: str = "INFO"
    session_idle_minutes: int = 30
    session_absolute_hours: int = 8
    lockout_failures: int = 5
    lockout_minutes: int = 30
    login_rate_per_ip: int = 20
    login_rate_per_username: int = 10
    login_rate_window_seconds: int = 600
    password_max_age_days: int = 90
    api_token_hours: int = 8
    nightly_hour: int = 1
    dispatcher_interval_seconds: int = 30
    rollup_sweep_seconds: int = 20  # how often districts with new changes get a fold (freshness)
    small_cell_threshold: int = 3  # counts of people under it leave the bureau as "<3"
    job_stale_seconds: int = 120
    worker_processes: int = 1
    worker_threads: int = 2
    batch_builders: int = 2
    audit_retention_days: int = 365
    secure_cookies: bool = False
    # Addresses that may read /metrics without signing in, in production (the Prometheus server).
    metrics_allow: tuple[IPv4Network | IPv6Network, ...] = ()
    # The site's address as a phone reaches it: the QR code of every talent card points there.
    public_url: str = "http://127.0.0.1:8000"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def embedded_database(self) -> bool:
        return self.database_url is None

    @property
    def embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def production(self) -> bool:
        return self.env == "production"


def _int(env: dict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(name, f"expected a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(name, f"must be between {lo} and {hi}, got {value}")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"expected true or false, got {raw!r}")


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name) or default
    if raw not in choices:
        raise SettingsError(name, f"must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _url(env: dict[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = env.get(name)
    if raw is None or raw == "":
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes:
        raise SettingsError(name, f"must start with {' or '.join(s + '://' for s in schemes)}")
    return raw


def _secret(data_dir: Path, env: dict[str, str], name: str, production: bool) -> str:
    """An explicit secret, or one generated once into the data dir outside production."""
    raw = env.get(name)
    if raw:
        if len(raw) < 32:
            raise SettingsError(name, "must be at least 32 characters")
        return raw
    if production:
        raise SettingsError(name, "is required when RENSHE_ENV=production")
    path = data_dir / "secrets" / name.lower()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(value)
    tmp.chmod(0o600)
    with contextlib.suppress(FileExistsError):
        os.link(tmp, path)  # first writer wins when several processes start at once
    tmp.unlink(missing_ok=True)
    return path.read_text().strip()


def _retired_keys(env: dict[str, str]) -> tuple[str, ...]:
    raw = env.get("RENSHE_DATA_KEYS_RETIRED") or ""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    for key in keys:
        if len(key) < 32:
            raise SettingsError("RENSHE_DATA_KEYS_RETIRED", "every key must be at least 32 characters")
    return keys


def _networks(env: dict[str, str], name: str) -> tuple[IPv4Network | IPv6Network, ...]:
    raw = env.get(name) or ""
    networks = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            networks.append(ip_network(part))  # strict: "10.0.0.5/24" is a typo, not a network
        except ValueError:
            raise SettingsError(
                name, f"expected comma-separated addresses or networks (CIDR), got {part!r}"
            ) from None
    return tuple(networks)


def _load_dotenv() -> dict[str, str]:
    path = Path(".env")
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {k: v for k, v in dotenv_values(path).items() if v is not None and k.startswith("RENSHE_")}


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read and validate every ``RENSHE_*`` variable; raise :class:`SettingsError` on the first bad one."""
    if environ is None:
        env = {**_load_dotenv(), **{k: v for k, v in os.environ.items() if k.startswith("RENSHE_")}}
    else:
        env = dict(environ)
    app_env = _choice(env, "RENSHE_ENV", "development", ENVIRONMENTS)
    production = app_env == "production"
    data_dir = Path(env.get("RENSHE_DATA_DIR") or "var").absolute()
    database_url = _url(env, "RENSHE_DATABASE_URL", ("postgresql", "postgres"))
    redis_url = _url(env, "RENSHE_REDIS_URL", ("redis", "rediss", "unix"))
    if production and database_url is None:
        raise SettingsError("RENSHE_DATABASE_URL", "is required when RENSHE_ENV=production")
    if production and redis_url is None:
        raise SettingsError("RENSHE_REDIS_URL", "is required when RENSHE_ENV=production")
    totp = env.get("RENSHE_DEMO_TOTP_SECRET") or DEFAULT_DEMO_TOTP_SECRET
    import base64
    import binascii

    try:
        base64.b32decode(totp.upper() + "=" * (-len(totp) % 8))
    except (binascii.Error, ValueError):
        raise SettingsError("RENSHE_DEMO_TOTP_SECRET", "must be base32 (A–Z, 2–7)") from None
    level = (env.get("RENSHE_LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("RENSHE_LOG_LEVEL", f"must be DEBUG, INFO, WARNING or ERROR, got {level!r}")
    from renshe.paths import default_tenants_dir

    raw_tenants = env.get("RENSHE_TENANTS_DIR")
    tenants_dir = Path(raw_tenants).absolute() if raw_tenants else default_tenants_dir()
    return Settings(
        env=app_env,
        data_dir=data_dir,
        database_url=database_url,
        app_database_url=_url(env, "RENSHE_APP_DATABASE_URL", ("postgresql", "postgres")),
        maint_database_url=_url(env, "RENSHE_MAINT_DATABASE_URL", ("postgresql", "postgres")),
        redis_url=redis_url,
        secret_key=_secret(data_dir, env, "RENSHE_SECRET_KEY", production),
        data_key=_secret(data_dir, env, "RENSHE_DATA_KEY", production),
        data_keys_retired=_retired_keys(env),
        index_key=_secret(data_dir, env, "RENSHE_INDEX_KEY", production),
        demo_password=env.get("RENSHE_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
        demo_totp_secret=totp.upper(),
        tenants_dir=tenants_dir,
        log_format=_choice(env, "RENSHE_LOG_FORMAT", "json" if production else "console", LOG_FORMATS),
        log_level=level,
        session_idle_minutes=_int(env, "RENSHE_SESSION_IDLE_MINUTES", 30, 1, 24 * 60),
        session_absolute_hours=_int(env, "RENSHE_SESSION_ABSOLUTE_HOURS", 8, 1, 72),
        lockout_failures=_int(env, "RENSHE_LOCKOUT_FAILURES", 5, 1, 100),
        lockout_minutes=_int(env, "RENSHE_LOCKOUT_MINUTES", 30, 1, 24 * 60),
        login_rate_per_ip=_int(env, "RENSHE_LOGIN_RATE_PER_IP", 20, 1, 100000),
        login_rate_per_username=_int(env, "RENSHE_LOGIN_RATE_PER_USERNAME", 10, 1, 100000),
        login_rate_window_seconds=_int(env, "RENSHE_LOGIN_RATE_WINDOW_SECONDS", 600, 10, 86400),
        password_max_age_days=_int(env, "RENSHE_PASSWORD_MAX_AGE_DAYS", 90, 0, 3650),
        api_token_hours=_int(env, "RENSHE_API_TOKEN_HOURS", 8, 1, 24 * 30),
        nightly_hour=_int(env, "RENSHE_NIGHTLY_HOUR", 1, 0, 23),
        dispatcher_interval_seconds=_int(env, "RENSHE_DISPATCHER_INTERVAL_SECONDS", 30, 1, 3600),
        rollup_sweep_seconds=_int(env, "RENSHE_ROLLUP_SWEEP_SECONDS", 20, 1, 3600),
        small_cell_threshold=_int(env, "RENSHE_SMALL_CELL_THRESHOLD", 3, 1, 100),
        job_stale_seconds=_int(env, "RENSHE_JOB_STALE_SECONDS", 120, 5, 24 * 3600),
        worker_processes=_int(env, "RENSHE_WORKER_PROCESSES", 1, 1, 64),
        worker_threads=_int(env, "RENSHE_WORKER_THREADS", 2, 1, 64),
        batch_builders=_int(env, "RENSHE_BATCH_BUILDERS", 2, 1, 8),
        audit_retention_days=_int(env, "RENSHE_AUDIT_RETENTION_DAYS", 365, 183, 36500),
        secure_cookies=_bool(env, "RENSHE_SECURE_COOKIES", production),
        metrics_allow=_networks(env, "RENSHE_METRICS_ALLOW"),
        public_url=(_url(env, "RENSHE_PUBLIC_URL", ("https", "http")) or "http://127.0.0.1:8000").rstrip("/"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, validated on first use."""
    return load_settings()
