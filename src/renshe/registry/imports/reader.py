"""Reading an uploaded spreadsheet (读取导入文件): CSV or XLSX, UTF-8 (with or without BOM) or
GBK/GB18030, through ``renshe.spreadsheets`` within ``LIMITS`` (size, unpacked size, rows,
columns, cell length, time).

Every cell comes back as text, numbered as the clerk sees it in the spreadsheet (the header is
row 1). Excel turns a long number typed into a General cell into a floating-point number and
drops its last digits (an 18-digit ID becomes ``4.40703199003070E+17``); such cells are flagged
so that the report says what happened instead of "wrong check character".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from renshe import spreadsheets
from renshe.errors import ValidationFailed
from renshe.i18n import lazy
from renshe.spreadsheets import SpreadsheetRefused

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# Excel keeps 15 significant digits of a number; anything longer was changed.
EXACT_DIGITS = 15
HEADER_SEARCH_ROWS = 5
# The check runs in a job (20 minutes): time enough for 50,000 rows on a busy worker.
LIMITS = spreadsheets.Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS, max_seconds=300)

TOO_MANY_ROWS = lazy("The file has more than %(max)s rows. Split it into several files.")
UNKNOWN_FORMAT = lazy("Upload a CSV file or an Excel workbook (.xlsx).")
NO_HEADER = lazy("No header row with known column names was found in the first rows of the file.")
NO_DATA = lazy("The file has a header but no data rows.")


class FileProblem(ValidationFailed):
    """The file as a whole cannot be read; ``params`` fill the message's placeholders."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__({"file": message}, message)
        self.params = params
        self.field_params = {"file": params} if params else {}


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # the spreadsheet row number (header = 1 when it is the first row)
    cells: tuple[str, ...]
    lossy: frozenset[int] = frozenset()  # columns Excel stored as an imprecise number


@dataclass(slots=True)
class Sheet:
    header: tuple[str, ...]
    header_row: int
    rows: list[Row] = field(default_factory=list)


def detect_format(filename: str, data: bytes) -> str:
    """``xlsx`` (a zip container) or ``csv``; anything else is refused."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"
    lowered = filename.lower()
    if (
        lowered.endswith((".xls", ".xlsm", ".xlsb", ".ods", ".numbers"))
        or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    ):
        raise FileProblem(UNKNOWN_FORMAT)
    if b"\x00" in data[:4096]:  # binary, or UTF-16 text
        raise FileProblem(UNKNOWN_FORMAT)
    return "csv"


def check_size(data: bytes) -> None:
    try:
        spreadsheets.check_size(data, LIMITS)
    except SpreadsheetRefused as exc:
        raise FileProblem(exc.message, **exc.params) from None


def preflight(file_format: str, data: bytes) -> None:
    """What can be refused before the file is stored: size, an XLSX's package, a CSV's encoding
    (CPU work: run it in a thread)."""
    try:
        spreadsheets.preflight(file_format, data, LIMITS)
    except SpreadsheetRefused as exc:
        raise FileProblem(exc.message, **exc.params) from None


def cell_text(value: Any) -> tuple[str, bool]:  # noqa: PLR0911 - one answer per cell type
    """A cell's value as text, and whether it was a number too long to be exact."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), False
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat(), False
        return value.isoformat(sep=" "), False
    if isinstance(value, date):
        return value.isoformat(), False
    if isinstance(value, int):
        return str(value), len(str(abs(value))) > EXACT_DIGITS
    if isinstance(value, float):
        if value.is_integer():
            digits = f"{value:.0f}"
            return digits, len(digits.lstrip("-")) > EXACT_DIGITS
        return repr(value), False
    return str(value).strip(), False


def header_index(records: list[tuple[int, list[Any]]], is_header: Any) -> int | None:
    """Where the header is among the first rows (an index into ``records``), or None."""
    return next((i for i, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]) if is_header(cells)), None)


def _rows_of(records: list[tuple[int, list[Any]]], is_header: Any) -> Sheet:
    """Find the header among the first rows; keep the non-empty data rows below it."""
    header_at = header_index(records, is_header)
    if header_at is None:
        raise FileProblem(NO_HEADER)
    number, header_cells = records[header_at]
    sheet = Sheet(header=tuple(cell_text(c)[0] for c in header_cells), header_row=number)
    for row_number, cells in records[header_at + 1 :]:
        texts: list[str] = []
        lossy: set[int] = set()
        for i, cell in enumerate(cells):
            text, inexact = cell_text(cell)
            texts.append(text)
            if inexact:
                lossy.add(i)
        if not any(texts):
            continue  # blank lines between blocks are common; they are not rows
        sheet.rows.append(Row(row_number, tuple(texts), frozenset(lossy)))
        if len(sheet.rows) > MAX_ROWS:
            raise FileProblem(TOO_MANY_ROWS, max=MAX_ROWS)
    if not sheet.rows:
        raise FileProblem(NO_DATA)
    return sheet


def read_sheet(file_format: str, data: bytes, is_header: Any) -> Sheet:
    """The rows of a CSV or XLSX file (through ``renshe.spreadsheets`` and its limits);
    ``is_header(cells)`` recognises the header row."""
    try:
        table = spreadsheets.read_rows(file_format, data, LIMITS)
        records = [(number, list(values)) for number, values in table.rows]
    except SpreadsheetRefused as exc:
        raise FileProblem(exc.message, **exc.params) from None
    return _rows_of(records, is_header)
