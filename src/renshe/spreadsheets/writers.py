"""写出表格 — CSV (UTF-8 with BOM, so Excel reads Chinese) and XLSX (every cell typed as text, so
Excel neither rounds an account number nor evaluates anything) for every list the product exports.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with
``'`` (formula injection: a spreadsheet would otherwise run it as a formula). Request handlers call
:func:`render_off_loop`: 100,000 rows are seconds of CPU, done in a pool process
(:mod:`renshe.offload`), never on the event loop nor in a thread that shares its GIL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from renshe import offload
from renshe.spreadsheets import text_workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def format_of(asked: str | None) -> str:
    """The export format asked for, or CSV for anything else (an old link, a typo)."""
    return asked if asked in FORMATS else "csv"


def neutralise(value: object) -> str:
    """The cell text, with a leading ``'`` when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_cell(value: object) -> text_workbook.Cell:
    """A figure handed over as a number stays one (a count, an amount as ``Decimal``); anything
    else is neutralised text."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return value
    return neutralise(value)


def to_xlsx(header: Sequence[str], rows: Sequence[Sequence[object]], title: str = "Sheet1") -> bytes:
    """A workbook whose every cell is a string with the text number format ``@`` (the header bold),
    but for the ``int`` and ``Decimal`` figures, which are numbers (``#,##0``, ``#,##0.00``).

    Written directly as SpreadsheetML (:mod:`renshe.spreadsheets.text_workbook`): openpyxl builds
    an object and an XML element per cell, 25 s for 100,000 rows of 17 columns; this is 2 s."""
    return text_workbook.write(
        [neutralise(h) for h in header], ([_xlsx_cell(v) for v in row] for row in rows), title
    )


def render(file_format: str, header: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> bytes:
    return to_xlsx(header, rows, title) if file_format == "xlsx" else to_csv(header, rows)


async def render_off_loop(
    file_format: str, header: Sequence[str], rows: Sequence[Sequence[object]], title: str
) -> bytes:
    """``render`` in a pool process, for request handlers (the rows cross by pickle: plain text
    and numbers are cheap to send; build them before, not objects)."""
    return await offload.run(render, file_format, list(header), list(rows), title)
