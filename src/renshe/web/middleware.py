"""Middleware stack and exception handlers (filled in by the web shell and accounts)."""

from __future__ import annotations

from typing import Any

from renshe.settings import Settings


def stack(settings: Settings) -> list[Any]:
    return []


def exception_handlers() -> dict[Any, Any]:
    return {}
