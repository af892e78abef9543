"""Reading an uploaded spreadsheet (读取导入文件): CSV or XLSX, UTF-8 (with or without BOM) or
GBK/GB18030, within a size and a row limit.

Every cell comes back as text, numbered as the clerk sees it in the spreadsheet (the header is
row 1). Excel turns a long number typed into a General cell into a floating-point number and
drops its last digits (an 18-digit ID becomes ``4.40703199003070E+17``); such cells are flagged
so that the report says what happened instead of "wrong check character".
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from renshe.errors import ValidationFailed
from renshe.i18n import lazy

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
# Excel keeps 15 significant digits of a number; anything longer was changed.
EXACT_DIGITS = 15
HEADER_SEARCH_ROWS = 5

FILE_EMPTY = lazy("The file is empty.")
FILE_TOO_LARGE = lazy("The file is larger than %(mb)s MB. Split it into several files.")
TOO_MANY_ROWS = lazy("The file has more than %(max)s rows. Split it into several files.")
UNKNOWN_FORMAT = lazy("Upload a CSV file or an Excel workbook (.xlsx).")
UNREADABLE_ENCODING = lazy("The file is neither UTF-8 nor GBK text. Save it again as CSV (UTF-8).")
UNREADABLE_XLSX = lazy("The Excel file cannot be read. Open it in Excel, save it as .xlsx and upload again.")
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
    if not data:
        raise FileProblem(FILE_EMPTY)
    if len(data) > MAX_BYTES:
        raise FileProblem(FILE_TOO_LARGE, mb=MAX_BYTES // (1024 * 1024))


def decode_text(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 — a superset of GBK and GB2312, what Excel writes
    for "CSV" on a Chinese Windows."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise FileProblem(UNREADABLE_ENCODING) from None


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


def _rows_of(records: list[tuple[int, list[Any]]], is_header: Any) -> Sheet:
    """Find the header among the first rows; keep the non-empty data rows below it."""
    header_at = next(
        (i for i, (_, cells) in enumerate(records[:HEADER_SEARCH_ROWS]) if is_header(cells)), None
    )
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


def read_csv(data: bytes, is_header: Any) -> Sheet:
    text = decode_text(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[Any]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, list(cells)))
            if number > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                raise FileProblem(TOO_MANY_ROWS, max=MAX_ROWS)
    except csv.Error:
        raise FileProblem(UNKNOWN_FORMAT) from None
    return _rows_of(records, is_header)


def read_xlsx(data: bytes, is_header: Any) -> Sheet:
    """The first worksheet of a workbook (values, not formulas)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise FileProblem(UNREADABLE_XLSX) from None
    try:
        sheet = book.worksheets[0]
        records: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            records.append((number, list(values)))
            if number > MAX_ROWS + HEADER_SEARCH_ROWS + 1:
                raise FileProblem(TOO_MANY_ROWS, max=MAX_ROWS)
    except (zipfile.BadZipFile, KeyError, ValueError, IndexError):
        raise FileProblem(UNREADABLE_XLSX) from None
    finally:
        book.close()
    return _rows_of(records, is_header)


def read_sheet(file_format: str, data: bytes, is_header: Any) -> Sheet:
    """The rows of a CSV or XLSX file; ``is_header(cells)`` recognises the header row."""
    check_size(data)
    if file_format == "xlsx":
        return read_xlsx(data, is_header)
    return read_csv(data, is_header)
