"""Reading definition tables (seed file, stored JSON, district overrides) with every problem
collected. Money may be written ``name = "6000"`` (yuan, as people write policy files) or
``name_fen = 600000`` (integer fen, as it is stored); both read as integer fen."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from renshe.subsidies.programs.model import Problems
from renshe.subsidies.programs.money import yuan_to_fen


def money_keys(*names: str) -> set[str]:
    """The keys under which money fields may be written: ``name`` and ``name_fen``."""
    return {k for n in names for k in (n, f"{n}_fen")}


def unknown_keys(data: Mapping[str, Any], allowed: Iterable[str], where: str, problems: Problems) -> None:
    for key in sorted(set(data) - set(allowed)):
        problems.add(f"{where}.{key}", "unknown key")


def money(
    data: Mapping[str, Any], name: str, where: str, problems: Problems, *, required: bool = False
) -> int | None:
    fen_key = f"{name}_fen"
    if fen_key in data and name in data:
        problems.add(f"{where}.{name}", f"write either {name} (yuan) or {fen_key} (fen), not both")
        return None
    if fen_key in data:
        value = data[fen_key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.add(f"{where}.{fen_key}", "must be a non-negative whole number of fen")
            return None
        return value
    if name in data:
        try:
            return yuan_to_fen(data[name])
        except ValueError as exc:
            problems.add(f"{where}.{name}", str(exc))
            return None
    if required:
        problems.add(f"{where}.{name}", "is required")
    return None


def integer(
    data: Mapping[str, Any],
    name: str,
    where: str,
    problems: Problems,
    *,
    required: bool = False,
    minimum: int = 0,
) -> int | None:
    if name not in data:
        if required:
            problems.add(f"{where}.{name}", "is required")
        return None
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.add(f"{where}.{name}", f"must be a whole number of at least {minimum}")
        return None
    return value


def text(
    data: Mapping[str, Any], name: str, where: str, problems: Problems, *, required: bool = False
) -> str:
    value = data.get(name)
    if value is None:
        if required:
            problems.add(f"{where}.{name}", "is required")
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{where}.{name}", "must be a non-empty string")
        return ""
    return value.strip()


def strings(data: Mapping[str, Any], name: str, where: str, problems: Problems) -> tuple[str, ...]:
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(f"{where}.{name}", "must be a list of strings")
        return ()
    return tuple(value)


def a_date(value: object, where: str, problems: Problems) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(where, "must be a date (YYYY-MM-DD)")
    return None


def table(value: object, where: str, problems: Problems) -> dict[str, Any]:
    if not isinstance(value, dict):
        problems.add(where, "must be a table")
        return {}
    return value
