"""CSV (and tab-, semicolon- or ``|``-separated text) within the limits.

UTF-8 (a byte-order mark is dropped), else GB18030 — a superset of GBK and GB2312, what Excel
writes for "CSV" on a Chinese Windows. Text that is neither is refused naming the line where the
more plausible of the two stopped making sense.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from renshe.spreadsheets.limits import (
    BAD_CSV,
    BAD_ENCODING,
    CELL_TOO_FAR_RIGHT,
    CELL_TOO_LONG,
    ROW_TOO_FAR_DOWN,
    Deadline,
    Limits,
    SpreadsheetRefused,
    column_name,
)

_BOM = b"\xef\xbb\xbf"
SNIFF_CHARS = 8192


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was read in (``utf-8`` or ``gb18030``)."""
    if data.startswith(_BOM):
        try:
            return data[len(_BOM) :].decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            raise SpreadsheetRefused(BAD_ENCODING, line=_line_of(data, exc.start + len(_BOM))) from None
    failures: list[int] = []
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            failures.append(exc.start)
    raise SpreadsheetRefused(BAD_ENCODING, line=_line_of(data, max(failures)))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _dialect(text: str, delimiters: str | None) -> type[csv.Dialect] | csv.Dialect:
    if not delimiters:
        return csv.excel
    try:
        return csv.Sniffer().sniff(text[:SNIFF_CHARS], delimiters=delimiters)
    except csv.Error:
        return csv.excel


def csv_rows(
    text: str, limits: Limits, deadline: Deadline, delimiters: str | None = None
) -> Iterator[tuple[int, tuple[str, ...]]]:
    """``(row number, cells)`` for every record (the first is row 1, as a spreadsheet opens it)."""
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text, delimiters))
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise SpreadsheetRefused(BAD_CSV, line=reader.line_num) from None
        number += 1
        deadline.check(number)
        if number > limits.max_rows:
            raise SpreadsheetRefused(ROW_TOO_FAR_DOWN, row=number, max=limits.max_rows)
        if len(cells) > limits.max_columns:
            raise SpreadsheetRefused(
                CELL_TOO_FAR_RIGHT, row=number, column=column_name(len(cells)),
                max=limits.max_columns, last=limits.last_column,
            )  # fmt: skip
        for index, cell in enumerate(cells, start=1):
            if len(cell) > limits.max_cell_chars:
                raise SpreadsheetRefused(
                    CELL_TOO_LONG, row=number, column=column_name(index), length=len(cell),
                    max=limits.max_cell_chars,
                )  # fmt: skip
        yield number, tuple(cells)
