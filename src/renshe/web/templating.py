"""The Jinja2 environment: templates folder, i18n extension bound to the request's locale."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from renshe import i18n
from renshe.paths import templates_dir

SHANGHAI = ZoneInfo("Asia/Shanghai")


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Dates are shown in Asia/Shanghai."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(SHANGHAI).strftime(fmt)


def format_yuan(fen: int | None) -> str:
    """Integer fen shown as yuan with two decimals (no floats on the way)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = format_datetime
    env.filters["yuan"] = format_yuan
    env.globals["current_locale"] = i18n.current_locale.get
    return env
