"""Money as integer fen (分). Policy files write yuan ("10000", "1234.50"); everything stored,
computed and answered is integer fen. Shares use exact fractions and round DOWN to the fen, so a
share can never exceed what its cap allows."""

from __future__ import annotations

from fractions import Fraction

from renshe.i18n import gettext
from renshe.tenancy.toml_files import yuan_to_fen

__all__ = ["format_fen", "share_of", "yuan_text", "yuan_to_fen"]


def yuan_text(fen: int) -> str:
    """``1234550`` → ``"12345.50"`` (no thousands separator: the form written in policy files)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def format_fen(fen: int) -> str:
    """For people: ``1234550`` → ``12,345.50 元`` / ``12,345.50 yuan``."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return gettext("{yuan} yuan").format(yuan=f"{sign}{fen // 100:,}.{fen % 100:02d}")


def share_of(base_fen: int, share: Fraction) -> int:
    """``share`` of ``base_fen``, rounded down to the fen (floor of an exact fraction)."""
    return int((Fraction(base_fen) * share).__floor__())
