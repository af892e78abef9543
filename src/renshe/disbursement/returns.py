"""Bank return files (银行回单/回盘文件): parsing, and matching against a batch's lines.

``parse_return(content, filename)`` reads a CSV (UTF-8 with or without BOM, or GBK — decoded as
GB18030, its superset; comma, tab, semicolon or ``|`` separated) or an XLSX (first sheet). The
header row is found among the first rows by its column titles, so a bank's header block above it
does no harm; recognised titles (Chinese or English) are listed in ``COLUMN_TITLES``. A row that
cannot be read (missing reference, unknown status, bad amount) becomes a ``ReturnProblem`` with its
row number; the good rows are returned as ``ReturnLine`` s. A file that cannot be read at all
raises ``UnreadableReturnFile``.

``match_returns(expected, returned)`` is pure: it pairs return lines with the batch's lines by
reference and lists — never applies — unmatched references, references that occur more than once
(every occurrence is refused: which one would be true?) and amounts that differ. Applying the
matches (paid / payment_failed) is the reconciliation service's job.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from renshe import spreadsheets
from renshe.disbursement.bankfiles.record import yuan
from renshe.errors import DomainError
from renshe.i18n import lazy

HEADER_SEARCH_ROWS = 30
MAX_RETURN_BYTES = 10 * 1024 * 1024
# A return answers one batch file (at most a district's max_lines_per_file lines) plus the bank's
# header and footer block; 100,000 rows is far beyond any, and still read in seconds.
LIMITS = spreadsheets.Limits(max_bytes=MAX_RETURN_BYTES, max_rows=100_000, max_seconds=60)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"
_CONTROL = {code: " " for code in (*range(32), 127)}


class ReturnStatus(StrEnum):
    SUCCEEDED = "succeeded"  # 成功: the award is paid
    FAILED = "failed"  # 失败/退票: the award goes to payment_failed with the bank's reason
    PENDING = "pending"  # 处理中: the bank has not decided yet; nothing to apply


class ProblemKind(StrEnum):
    MALFORMED = "malformed"
    UNMATCHED = "unmatched"
    DUPLICATE = "duplicate"
    AMOUNT_MISMATCH = "amount_mismatch"


def _norm(value: str) -> str:
    return re.sub(r"\s+", "", value).lower().replace("（", "(").replace("）", ")")


COLUMN_TITLES: dict[str, frozenset[str]] = {
    "reference": frozenset(
        {"业务参考号", "自定义序号", "参考号", "客户参考号", "reference", "line_reference", "ref"}
    ),
    "status": frozenset({"状态", "处理状态", "交易状态", "处理结果", "交易结果", "status", "result"}),
    "reason": frozenset({"失败原因", "原因", "错误信息", "处理说明", "失败说明", "reason", "message"}),
    "amount": frozenset({"金额", "金额(元)", "交易金额", "交易金额(元)", "amount", "amount_yuan"}),
}
_TITLE_TO_COLUMN = {_norm(title): column for column, titles in COLUMN_TITLES.items() for title in titles}

STATUS_WORDS: dict[ReturnStatus, frozenset[str]] = {
    ReturnStatus.SUCCEEDED: frozenset(
        {
            "成功",
            "交易成功",
            "处理成功",
            "支付成功",
            "已成功",
            "success",
            "succeeded",
            "successful",
            "ok",
            "s",
        }
    ),
    ReturnStatus.FAILED: frozenset(
        {
            "失败",
            "交易失败",
            "处理失败",
            "支付失败",
            "退票",
            "已退票",
            "退回",
            "failed",
            "failure",
            "fail",
            "f",
        }
    ),
    ReturnStatus.PENDING: frozenset({"处理中", "待处理", "pending", "processing"}),
}
_WORD_TO_STATUS = {_norm(word): status for status, words in STATUS_WORDS.items() for word in words}
_AMOUNT = re.compile(r"(\d+)(?:\.(\d{1,2}))?")


@dataclass(frozen=True, slots=True)
class ReturnLine:
    """One readable line of a return file."""

    row: int  # the row number a spreadsheet would show (1-based)
    reference: str
    status: ReturnStatus
    reason: str  # the bank's reason, "" when it gives none
    amount_fen: int | None  # None when the file has no amount column


@dataclass(frozen=True, slots=True)
class ReturnProblem:
    """A return line that is not applied, and why (``message`` is an English msgid)."""

    row: int
    kind: ProblemKind
    message: str
    reference: str | None = None
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParsedReturn:
    lines: list[ReturnLine]
    problems: list[ReturnProblem]  # all of kind MALFORMED
    encoding: str  # what the file was read as: "utf-8", "gb18030" or "xlsx"


class UnreadableReturnFile(DomainError):
    status_code = 422


# -- reading rows -------------------------------------------------------------------------------


def _table(content: bytes, filename: str) -> spreadsheets.Table:
    """The file's rows through ``renshe.spreadsheets`` (its limits); refusals become
    ``UnreadableReturnFile`` with the reader's message (row and column named)."""
    if content.startswith(_OLE_MAGIC) or filename.lower().endswith(".xls"):
        raise UnreadableReturnFile(
            lazy("Old .xls workbooks cannot be read: save the return file as .xlsx or CSV.")
        )
    if content.startswith(spreadsheets.ZIP_MAGIC):
        file_format = "xlsx"
    elif filename.lower().endswith(".xlsx"):
        raise UnreadableReturnFile(lazy("The return file is not a valid XLSX workbook."))
    else:
        file_format = "csv"
    try:
        return spreadsheets.read_rows(file_format, content, LIMITS, delimiters=",\t;|")
    except spreadsheets.SpreadsheetRefused as exc:
        raise UnreadableReturnFile(exc.message, **exc.params) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a reference typed as a number in a spreadsheet
    return str(value).translate(_CONTROL).strip()


# -- parsing ------------------------------------------------------------------------------------


def _header(row: Sequence[object]) -> dict[str, int] | None:
    positions: dict[str, int] = {}
    for index, value in enumerate(row):
        column = _TITLE_TO_COLUMN.get(_norm(_cell_text(value)))
        if column and column not in positions:
            positions[column] = index
    return positions if {"reference", "status"} <= positions.keys() else None


def _amount_fen(value: object) -> int | None:
    """Yuan (text or number) as fen; ``None`` when it is not a non-negative amount with ≤ 2 decimals."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value * 100 if value >= 0 else None
    if isinstance(value, float | Decimal):
        try:
            fen = Decimal(repr(value) if isinstance(value, float) else value) * 100
        except InvalidOperation:
            return None
        return int(fen) if fen >= 0 and fen == fen.to_integral_value() else None
    text = re.sub(r"[\s,，¥￥]", "", _cell_text(value))
    match = _AMOUNT.fullmatch(text)
    if not match:
        return None
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def _problem(row: int, message: str, reference: str | None = None, **params: object) -> ReturnProblem:
    return ReturnProblem(row, ProblemKind.MALFORMED, message, reference, {"row": row, **params})


def _line(number: int, row: Sequence[object], columns: dict[str, int]) -> ReturnLine | ReturnProblem:
    def cell(column: str) -> object:
        index = columns.get(column)
        return row[index] if index is not None and index < len(row) else None

    reference = _cell_text(cell("reference"))
    if not reference:
        return _problem(number, lazy("Row %(row)s: the line reference is missing."))
    status_text = _cell_text(cell("status"))
    status = _WORD_TO_STATUS.get(_norm(status_text))
    if status is None:
        return _problem(
            number, lazy("Row %(row)s: unknown status “%(status)s”."), reference, status=status_text
        )
    amount_fen = None
    if "amount" in columns:
        raw = cell("amount")
        amount_fen = _amount_fen(raw)
        if amount_fen is None:
            return _problem(
                number,
                lazy("Row %(row)s: the amount “%(amount)s” is not valid."),
                reference,
                amount=_cell_text(raw),
            )
    return ReturnLine(number, reference, status, _cell_text(cell("reason")), amount_fen)


def parse_return(content: bytes, filename: str) -> ParsedReturn:
    """Read a bank return file (CSV or XLSX, told apart by content; ``filename`` for old .xls).

    CPU-bound: a request handler runs it in a thread (``reconcile.upload_return`` does)."""
    table = _table(content, filename)
    lines: list[ReturnLine] = []
    problems: list[ReturnProblem] = []
    columns: dict[str, int] | None = None
    try:
        for number, row in table.rows:
            if columns is None:
                columns = _header(row)
                if columns is None and number >= HEADER_SEARCH_ROWS:
                    break
                continue
            if not any(_cell_text(value) for value in row):
                continue  # blank rows (and trailing empty spreadsheet rows) carry nothing
            parsed = _line(number, row, columns)
            if isinstance(parsed, ReturnLine):
                lines.append(parsed)
            else:
                problems.append(parsed)
    except spreadsheets.SpreadsheetRefused as exc:
        raise UnreadableReturnFile(exc.message, **exc.params) from None
    if columns is None:
        raise UnreadableReturnFile(
            lazy("The return file has no header row with a line reference column and a status column.")
        )
    return ParsedReturn(lines, problems, table.encoding)


# -- matching -----------------------------------------------------------------------------------


class ExpectedLine(Protocol):
    """What matching needs of a batch line (``PaymentLine`` and database rows both qualify)."""

    @property
    def reference(self) -> str: ...
    @property
    def amount_fen(self) -> int: ...


T = TypeVar("T", bound=ExpectedLine)


@dataclass(frozen=True, slots=True)
class Match(Generic[T]):
    expected: T
    returned: ReturnLine


def _mismatch(line: ReturnLine, kind: ProblemKind, message: str, **params: object) -> ReturnProblem:
    return ReturnProblem(
        line.row, kind, message, line.reference, {"row": line.row, "reference": line.reference, **params}
    )


def match_returns(
    lines_expected: Iterable[T], return_lines: Iterable[ReturnLine]
) -> tuple[list[Match[T]], list[ReturnProblem]]:
    """Pair return lines with the batch's lines by reference; list everything else as problems.

    A return line without an amount is matched on its reference alone; one with an amount must
    equal the line's amount to the fen.
    """
    by_reference: dict[str, T] = {}
    for batch_line in lines_expected:
        if batch_line.reference in by_reference:
            raise ValueError(f"the batch has two lines with reference {batch_line.reference!r}")
        by_reference[batch_line.reference] = batch_line
    returned = list(return_lines)
    occurrences = Counter(line.reference for line in returned)

    matched: list[Match[T]] = []
    problems: list[ReturnProblem] = []
    for line in returned:
        ref = line.reference
        expected = by_reference.get(ref)
        if occurrences[ref] > 1:
            message = lazy(
                "Row %(row)s: line %(reference)s appears %(count)s times in the return file; none is applied."
            )
            problems.append(_mismatch(line, ProblemKind.DUPLICATE, message, count=occurrences[ref]))
        elif expected is None:
            message = lazy("Row %(row)s: line %(reference)s is not in this batch.")
            problems.append(_mismatch(line, ProblemKind.UNMATCHED, message))
        elif line.amount_fen is not None and line.amount_fen != expected.amount_fen:
            message = lazy(
                "Row %(row)s: the bank reports %(returned)s yuan for line %(reference)s, "
                "but the batch pays %(expected)s yuan."
            )
            problems.append(
                _mismatch(
                    line,
                    ProblemKind.AMOUNT_MISMATCH,
                    message,
                    returned=yuan(line.amount_fen),
                    expected=yuan(expected.amount_fen),
                )
            )
        else:
            matched.append(Match(expected, line))
    return matched, problems


def unanswered(lines_expected: Iterable[T], matched: Iterable[Match[T]]) -> list[T]:
    """The batch lines no return line resolved (absent, or only in problems)."""
    answered = {m.expected.reference for m in matched}
    return [line for line in lines_expected if line.reference not in answered]
