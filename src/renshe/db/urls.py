"""Connection URLs for the database roles.

Three login roles (01-platform §3):

* ``renshe_owner`` owns the schema; migrations run as it.
* ``renshe_app`` is what the web app, workers and CLI use: owns nothing, is not superuser and
  cannot bypass row-level security.
* ``renshe_maint`` may bypass RLS; only named maintenance commands use it (audit verify, backups).

``RENSHE_DATABASE_URL`` names an administrative login (a superuser in the embedded default and on
CI) from which the role URLs are derived, unless ``RENSHE_APP_DATABASE_URL`` /
``RENSHE_MAINT_DATABASE_URL`` give them explicitly. Derived passwords are HMACs of the secret key,
so every process computes the same ones without storing them.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from renshe import embedded
from renshe.settings import Settings

Role = Literal["admin", "owner", "app", "maint"]
ROLE_NAMES: dict[str, str] = {"owner": "renshe_owner", "app": "renshe_app", "maint": "renshe_maint"}
EMBEDDED_DATABASE = "renshe"


def role_password(settings: Settings, role: str) -> str:
    return hmac.new(settings.secret_key.encode(), f"db-role:{role}".encode(), hashlib.sha256).hexdigest()


def admin_url(settings: Settings) -> str:
    """The administrative URL, pointing at the application's database."""
    if settings.database_url is None:
        base = embedded.postgres_url(settings.data_dir)
        return with_database(base, EMBEDDED_DATABASE)
    return settings.database_url


def with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/") or "postgres"


def with_login(url: str, user: str, password: str | None) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = quote(user, safe="")
    if password:
        netloc += ":" + quote(password, safe="")
    netloc += "@" + host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def role_url(settings: Settings, role: Role) -> str:
    if role == "admin":
        return admin_url(settings)
    if role == "app" and settings.app_database_url:
        return settings.app_database_url
    if role == "maint" and settings.maint_database_url:
        return settings.maint_database_url
    name = ROLE_NAMES[role]
    return with_login(admin_url(settings), name, role_password(settings, name))


def asyncpg_kwargs(url: str) -> dict[str, object]:
    """Split a URL into asyncpg keyword arguments (handles ``?host=/socket/dir``)."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    kwargs: dict[str, object] = {
        "user": parts.username or "postgres",
        "database": parts.path.lstrip("/") or "postgres",
    }
    if parts.password:
        kwargs["password"] = parts.password
    host = query.pop("host", None) or parts.hostname
    if host:
        kwargs["host"] = host
    if parts.port:
        kwargs["port"] = parts.port
    if query.get("sslmode"):
        kwargs["ssl"] = query.pop("sslmode")
    return kwargs


def redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return urlunsplit(parts._replace(netloc=parts.netloc.replace(parts.password, "***")))
    return url


def redis_url(settings: Settings) -> str:
    if settings.redis_url is None:
        return embedded.valkey_url(settings.data_dir)
    return settings.redis_url


__all__ = [
    "ROLE_NAMES",
    "admin_url",
    "asyncpg_kwargs",
    "database_name",
    "redacted",
    "redis_url",
    "role_password",
    "role_url",
    "urlencode",
    "with_database",
]
