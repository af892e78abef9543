"""``read_rows``: the one way the product reads an uploaded spreadsheet (CSV or XLSX).

Every figure of ``Limits`` is checked before the work it bounds: the upload's size first, an
XLSX's package before any XML parser runs (``package``), rows, columns and cell lengths as they
stream, and the wall time throughout. It is synchronous and CPU-bound: web handlers run it in a
thread (``asyncio.to_thread``), jobs in the worker process.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from renshe.spreadsheets.delimited import csv_rows, decode
from renshe.spreadsheets.limits import EMPTY, MB, TOO_LARGE, Deadline, Limits, SpreadsheetRefused
from renshe.spreadsheets.package import open_package
from renshe.spreadsheets.workbook import xlsx_rows

ZIP_MAGIC = b"PK\x03\x04"


@dataclass(slots=True)
class Table:
    """The rows of a file, read lazily: iterate them (once) where the limits may be enforced."""

    encoding: str  # "xlsx", "utf-8" or "gb18030"
    rows: Iterator[tuple[int, tuple[Any, ...]]]  # (row number as the spreadsheet shows it, values)


def check_size(data: bytes, limits: Limits) -> None:
    if not data:
        raise SpreadsheetRefused(EMPTY)
    if len(data) > limits.max_bytes:
        raise SpreadsheetRefused(TOO_LARGE, mb=limits.max_bytes // MB)


def read_rows(file_format: str, data: bytes, limits: Limits, *, delimiters: str | None = None) -> Table:
    """The rows of ``data`` (``file_format``: ``xlsx`` or ``csv``); ``delimiters`` lets a CSV be
    separated by any of those characters (sniffed), else it is comma-separated."""
    check_size(data, limits)
    deadline = Deadline(limits)
    if file_format == "xlsx":
        return Table("xlsx", xlsx_rows(data, limits, deadline))
    text, encoding = decode(data)
    return Table(encoding, csv_rows(text, limits, deadline, delimiters))


def preflight(file_format: str, data: bytes, limits: Limits) -> None:
    """The checks that need no row: size, and an XLSX's package (directory and scan) or a CSV's
    encoding. For an upload that is stored now and read by a job later."""
    check_size(data, limits)
    if file_format == "xlsx":
        open_package(data, limits, Deadline(limits)).close()
    else:
        decode(data)
