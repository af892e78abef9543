"""The first sheet of an XLSX, streamed row by row within the limits.

The package has been checked and scanned (``package.open_package``) before openpyxl opens it.
openpyxl's reader is driven step by step (manifest, shared strings, workbook, styles) without
``load_workbook``: its read-only worksheet parses a whole sheet at open when the sheet has no
``<dimension>``, and its ``iter_rows`` pads every row to the declared dimension or to the row's
last cell — one cell in column XFD makes 16,384 values of every row. Here the ``<dimension>`` is
read from the sheet's first elements only, and rows come straight from openpyxl's sheet parser,
each cell's column checked as it is parsed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from renshe.spreadsheets.limits import (
    BAD_PACKAGE,
    CELL_TOO_FAR_RIGHT,
    CELL_TOO_LONG,
    DIMENSION_TOO_LONG,
    DIMENSION_TOO_WIDE,
    ROW_TOO_FAR_DOWN,
    Deadline,
    Limits,
    SpreadsheetRefused,
    column_name,
)
from renshe.spreadsheets.package import open_package

# What openpyxl raises on a malformed package or sheet (ElementTree's ParseError is a SyntaxError).
MALFORMED = (zipfile.BadZipFile, KeyError, IndexError, TypeError, ValueError, SyntaxError, OSError, EOFError)
Values = tuple[Any, ...]


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _dimension(source: Any) -> tuple[int, int, int, int] | None:
    """The sheet's ``<dimension>`` boundaries (min col, min row, max col, max row), reading no
    further than the start of ``<sheetData>``."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.functions import iterparse  # defusedxml's when installed; DOCTYPEs are refused anyway

    for _event, element in iterparse(source, events=("start",)):
        if element.tag == f"{_MAIN}dimension":
            ref = element.get("ref") or ""
            bounds = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
            return None if None in bounds else bounds
        if element.tag == f"{_MAIN}sheetData":
            return None
    return None


def _check_dimension(bounds: tuple[int, int, int, int] | None, limits: Limits) -> None:
    if bounds is None:
        return  # no <dimension>: the cells themselves are checked
    min_col, min_row, max_col, max_row = bounds
    declared = f"{column_name(min_col)}{min_row}:{column_name(max_col)}{max_row}"
    if max_col > limits.max_columns:
        raise SpreadsheetRefused(
            DIMENSION_TOO_WIDE, column=column_name(max_col), range=declared,
            max=limits.max_columns, last=limits.last_column,
        )  # fmt: skip
    if max_row > limits.max_rows:
        raise SpreadsheetRefused(DIMENSION_TOO_LONG, rows=max_row, range=declared, max=limits.max_rows)


def _values(number: int, cells: list[dict[str, Any]], limits: Limits) -> Values:
    width = 0
    for cell in cells:
        column = cell["column"]
        if column > limits.max_columns:
            raise SpreadsheetRefused(
                CELL_TOO_FAR_RIGHT, row=number, column=column_name(column),
                max=limits.max_columns, last=limits.last_column,
            )  # fmt: skip
        value = cell["value"]
        if isinstance(value, str) and len(value) > limits.max_cell_chars:
            raise SpreadsheetRefused(
                CELL_TOO_LONG, row=number, column=column_name(column), length=len(value),
                max=limits.max_cell_chars,
            )  # fmt: skip
        width = max(width, column)
    values: list[Any] = [None] * width
    for cell in cells:
        values[cell["column"] - 1] = cell["value"]
    return tuple(values)


def _open(data: bytes) -> Any:
    """openpyxl's reader with everything but the worksheets read (the package is checked)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    reader = ExcelReader(io.BytesIO(data), read_only=True, keep_vba=False, data_only=True, keep_links=False)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
    except BaseException:
        reader.archive.close()
        raise
    return reader


def _first_sheet(reader: Any) -> str:
    for _sheet, rel in reader.parser.find_sheets():
        if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
            return str(rel.target)
    raise SpreadsheetRefused(BAD_PACKAGE)


def xlsx_rows(data: bytes, limits: Limits, deadline: Deadline) -> Iterator[tuple[int, Values]]:
    """``(row number, values)`` of the first worksheet; values are openpyxl's (text, numbers,
    dates, booleans), ``values[0]`` is column A. Rows without cells are not yielded."""
    from openpyxl.worksheet._reader import WorkSheetParser

    open_package(data, limits, deadline).close()
    try:
        reader = _open(data)
    except MALFORMED:
        raise SpreadsheetRefused(BAD_PACKAGE) from None
    try:
        path = _first_sheet(reader)
        with reader.archive.open(path) as source:
            _check_dimension(_dimension(source), limits)
        book = reader.wb
        with reader.archive.open(path) as source:
            parser = WorkSheetParser(
                source, reader.shared_strings, data_only=True, epoch=book.epoch,
                date_formats=book._date_formats, timedelta_formats=book._timedelta_formats,
            )  # fmt: skip
            rows = parser.parse()
            while True:
                try:
                    number, cells = next(rows)
                except StopIteration:
                    break
                deadline.check(number)
                if number > limits.max_rows:
                    raise SpreadsheetRefused(ROW_TOO_FAR_DOWN, row=number, max=limits.max_rows)
                if cells:
                    yield number, _values(number, cells, limits)
    except MALFORMED:
        raise SpreadsheetRefused(BAD_PACKAGE) from None
    finally:
        reader.archive.close()
