"""What an uploaded spreadsheet may cost: its limits, the refusal, and the clock.

A refusal is a ``SpreadsheetRefused`` (422) whose ``message`` is an English msgid with
``%(name)s`` placeholders filled from ``params`` where it is shown, so every caller (the import
report, the bank-return page, problem+json) says the same thing in the user's language, naming
the row and column where there is one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from renshe.errors import DomainError
from renshe.i18n import lazy

MB = 1024 * 1024

TOO_LARGE = lazy("The file is larger than %(mb)s MB. Split it into several files.")
EMPTY = lazy("The file is empty.")
UNPACKS_TOO_LARGE = lazy(
    "The workbook unpacks to more than %(mb)s MB. Save it again in Excel as .xlsx, without "
    "pictures or unused sheets, or split it into several files."
)
PART_TOO_LARGE = lazy("The workbook part %(part)s unpacks to more than %(mb)s MB; the file is refused.")
RATIO_TOO_HIGH = lazy(
    "The workbook part %(part)s is compressed %(ratio)s times, far beyond any spreadsheet "
    "(a \u201czip bomb\u201d); the file is refused."
)
TOO_MANY_PARTS = lazy("The workbook has more than %(max)s parts; the file is refused.")
BAD_PACKAGE = lazy("The Excel file cannot be read. Open it in Excel, save it as .xlsx and upload again.")
BLANK_RUN = lazy(
    "The workbook part %(part)s contains more than %(max)s blank characters in a row (padding, not "
    "data); the file is refused."
)
XML_DECLARATIONS = lazy(
    "The workbook part %(part)s declares XML entities, which spreadsheets never do; the file is refused."
)
DIMENSION_TOO_WIDE = lazy(
    "The sheet declares cells up to column %(column)s (%(range)s); at most %(max)s columns "
    "(up to %(last)s) are read. Delete the columns to the right and save again."
)
DIMENSION_TOO_LONG = lazy(
    "The sheet declares %(rows)s rows (%(range)s); at most %(max)s rows are read. Split it into "
    "several files."
)
CELL_TOO_FAR_RIGHT = lazy(
    "Row %(row)s: there is a cell in column %(column)s; at most %(max)s columns (up to %(last)s) "
    "are read. Delete the columns to the right and save again."
)
ROW_TOO_FAR_DOWN = lazy("Row %(row)s: the file has more than %(max)s rows. Split it into several files.")
CELL_TOO_LONG = lazy(
    "Row %(row)s, column %(column)s: the cell holds %(length)s characters; at most %(max)s are allowed."
)
TOO_SLOW = lazy(
    "Reading the file took longer than %(seconds)s seconds (stopped at row %(row)s). Split it into "
    "several files."
)
BAD_ENCODING = lazy(
    "Line %(line)s: the text is neither UTF-8 nor GBK. Save the file again as CSV (UTF-8) and upload it."
)
BAD_CSV = lazy("Line %(line)s cannot be read as CSV. Save the file again as CSV (UTF-8) and upload it.")


class SpreadsheetRefused(DomainError):
    """The file as a whole is not read; nothing from it may be used."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class Limits:
    """The ceilings for one kind of upload. Every figure is checked before the work it bounds."""

    max_bytes: int = 10 * MB  # the uploaded (compressed) file
    max_unpacked_bytes: int = 100 * MB  # the sum of an XLSX's parts, uncompressed
    max_strings_bytes: int = 32 * MB  # xl/sharedStrings.xml: openpyxl holds every string in memory
    max_other_part_bytes: int = 8 * MB  # styles, workbook, relations: parsed whole, not streamed
    max_ratio: int = 100  # uncompressed / compressed, for parts larger than ``ratio_floor_bytes``
    ratio_floor_bytes: int = 1 * MB
    max_parts: int = 1_000
    max_blank_run: int = 8 * 1024  # consecutive blank bytes in any XML part
    max_rows: int = 50_000  # the last row number read (as the spreadsheet shows it)
    max_columns: int = 50  # column AX
    max_cell_chars: int = 2_000
    max_seconds: float = 60.0

    @property
    def last_column(self) -> str:
        return get_column_letter(self.max_columns)


class Deadline:
    """Wall time for one read, checked between rows and between chunks of a part."""

    def __init__(self, limits: Limits) -> None:
        self.seconds = limits.max_seconds
        self.ends = time.monotonic() + limits.max_seconds

    def check(self, row: int = 0) -> None:
        if time.monotonic() > self.ends:
            raise SpreadsheetRefused(TOO_SLOW, seconds=f"{self.seconds:g}", row=row)


def column_name(index: int) -> str:
    """``1`` → ``A``; an absurd index is still named (``XFD``), never an error."""
    try:
        return get_column_letter(index)
    except ValueError:
        return str(index)
