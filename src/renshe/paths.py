"""Where the package's non-Python files are, from a checkout or from an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent  # src/renshe -> repository root


def _first(*candidates: Path) -> Path:
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def templates_dir() -> Path:
    """``templates/`` of the checkout, or ``renshe/_templates`` inside the wheel."""
    return _first(_CHECKOUT / "templates", _PACKAGE / "_templates")


def default_tenants_dir() -> Path:
    return _first(_CHECKOUT / "tenants", _PACKAGE / "_tenants")


def static_dir() -> Path:
    return _PACKAGE / "web" / "static"


def locale_dir() -> Path:
    return _PACKAGE / "locale"
