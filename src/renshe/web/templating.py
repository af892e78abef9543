"""The Jinja2 environment: templates folder, i18n extension bound to the request's locale."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import BytecodeCache, Environment, FileSystemLoader, select_autoescape
from jinja2.bccache import Bucket

from renshe import clock, i18n, numbers
from renshe.accounts.principal import Role
from renshe.audit import labels as audit_labels
from renshe.paths import static_dir, templates_dir
from renshe.subsidies import calendar
from renshe.tenancy import names as unit_names
from renshe.web import flash, navigation

SHANGHAI = ZoneInfo("Asia/Shanghai")


def format_datetime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Dates are shown in Asia/Shanghai."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(SHANGHAI).strftime(fmt)


def or_dash(value: Any) -> Any:
    """An empty field on a page is shown as "—": None and "" (and blank text) become the dash,
    anything else, 0 included, is shown as it is."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "—"
    return value


def format_yuan(fen: int | None) -> str:
    """Integer fen shown as yuan with two decimals (no floats on the way)."""
    return numbers.yuan(fen)


def format_money(fen: int | None) -> str:
    """Integer fen as a price people read aloud: ``123450`` -> ``¥1,234.50``; "—" when unknown."""
    return "—" if fen is None else numbers.money(fen)


@cache
def _static_version(path: str) -> str:
    try:
        return hashlib.sha256((static_dir() / path).read_bytes()).hexdigest()[:12]
    except OSError:
        return "0"


def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: a changed file gets a new URL, so the long cache
    header of static assets can never serve a stale copy."""
    return f"/static/{path}?v={_static_version(path)}"


def principal_of(request: Any) -> Any:
    """The request's :class:`~renshe.accounts.principal.Principal`, or None (not logged in)."""
    return request.scope.get("principal") if request is not None else None


def csrf_token_of(request: Any) -> str:
    return (request.scope.get("csrf_token") or "") if request is not None else ""


def org_unit_name(principal: Any) -> str:
    if principal is None:
        return ""
    unit = principal.org_unit
    return unit.name_en if i18n.current_locale.get() == "en" else unit.name_zh


def nav_links(request: Any) -> list[navigation.Link]:
    principal = principal_of(request)
    if principal is None:
        return []
    return navigation.main_nav_for(principal, navigation.get_handlers(request.app))


# Who is told that a year's holiday calendar is missing: those who can have it updated.
CALENDAR_WARNED = frozenset({Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.SYSADMIN})


def unpublished_calendar_years(request: Any) -> list[int]:
    """Years whose official holiday calendar is missing (notice periods there count weekends
    only), for the warning every page shows to administrators; empty for everyone else."""
    principal = principal_of(request)
    if principal is None or not principal.has(*CALENDAR_WARNED):
        return []
    return calendar.unpublished_years(clock.today())


class _CompiledInProcess(BytecodeCache):
    """Templates compiled once per process, whatever the number of environments built in it (the
    tests build an application per module, and a profile of the suite caught Jinja compiling
    templates again and again). Jinja keys a bucket by the template's name and checks its source's
    checksum, so an edited template is compiled again."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self._code.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledInProcess()


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        bytecode_cache=_COMPILED,
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["datetime"] = format_datetime
    env.filters["yuan"] = format_yuan
    env.filters["money"] = format_money  # ¥3,512,000.00 ("—" when unknown)
    env.filters["grouped"] = numbers.grouped  # 1,204
    env.filters["rate"] = numbers.rate  # 830 行/秒
    env.globals["current_locale"] = i18n.current_locale.get
    env.globals["static_url"] = static_url
    env.globals["principal_of"] = principal_of
    env.globals["csrf_token_of"] = csrf_token_of
    env.globals["org_unit_name"] = org_unit_name
    env.filters["unit_name"] = unit_names.unit_name  # a code or id: 440703 → 蓬江区
    env.filters["or_dash"] = or_dash
    env.filters["action_label"] = audit_labels.action_label
    env.globals["role_label"] = navigation.role_label
    env.filters["role_label"] = navigation.role_label
    env.globals["nav_links"] = nav_links
    # (level, text) messages of the session, read once (renshe.web.flash)
    env.globals["flashes"] = flash.FlashView()
    env.globals["unpublished_calendar_years"] = unpublished_calendar_years
    return env
