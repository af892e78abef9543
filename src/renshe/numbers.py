"""Numbers for people (数字显示): counts with thousands separators, money from integer fen.

The one place that turns integer fen into text for pages, flash messages and job summaries
(``¥3,512,000.00``); integer arithmetic only, never a float. Files written for machines (bank
files, policy files, exports meant for re-import) keep their own plain formats.
"""

from __future__ import annotations

from renshe import i18n


def grouped(count: int | None) -> str:
    """``1204`` → ``1,204`` (the separator both languages use in this product)."""
    return "" if count is None else f"{count:,}"


def yuan(fen: int | None) -> str:
    """``351200000`` → ``3,512,000.00`` (no symbol: a table column already says 元)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def money(fen: int | None) -> str:
    """``351200000`` → ``¥3,512,000.00``; negative ``-¥12.30``; None → empty."""
    if fen is None:
        return ""
    text = yuan(fen)
    return f"-¥{text[1:]}" if text.startswith("-") else f"¥{text}"


def rate(per_second: float | None) -> str:
    """Rows per second as people read it: ``830 行/秒`` / ``830 rows/s`` (one decimal below 10)."""
    if per_second is None:
        return ""
    shown = f"{per_second:,.1f}" if per_second < 10 else f"{round(per_second):,}"
    return i18n.gettext("%(rate)s rows/s") % {"rate": shown}
