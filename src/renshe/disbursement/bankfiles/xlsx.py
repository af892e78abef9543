"""XLSX: sheet ``代发明细`` (one header row, one row per payment) and sheet ``批次汇总`` (the header).

The account column holds **text cells** (value a string, number format ``@``) so a spreadsheet
never turns ``6222…`` into ``6.22E+18`` or drops a leading zero; amounts are numeric cells in yuan
with format ``0.00`` (two decimals, no thousands separator), written from ``Decimal`` so no float
rounding is involved.

Byte-identical regeneration: :mod:`renshe.spreadsheets.stable_xlsx`, dated to the business date.
"""

from __future__ import annotations

import datetime as dt

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from renshe.disbursement.bankfiles.cells import amount, text
from renshe.disbursement.bankfiles.generic_csv import COLUMNS, row
from renshe.disbursement.bankfiles.record import PaymentFile, PaymentLine
from renshe.spreadsheets import stable_xlsx

LINES_SHEET = "代发明细"
SUMMARY_SHEET = "批次汇总"
TEXT_FORMAT = "@"
AMOUNT_FORMAT = "0.00"
_TEXT_COLUMNS = {0, 1, 2, 3, 4, 5, 7, 8}  # every column but the amount
_AMOUNT_COLUMN = 6
_WIDTHS = (24, 24, 18, 28, 10, 10, 14, 20, 24)


def _fill_lines(ws: Worksheet, lines: list[PaymentLine]) -> None:
    ws.append(COLUMNS)
    for line in lines:
        ws.append(row(line))
    for column_cells in ws.iter_cols(min_row=2, max_row=ws.max_row):
        for cell in column_cells:
            index = cell.column - 1
            if index == _AMOUNT_COLUMN:
                cell.number_format = AMOUNT_FORMAT
            elif index in _TEXT_COLUMNS:
                cell.number_format = TEXT_FORMAT
    for index, width in enumerate(_WIDTHS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A2"


def _fill_summary(ws: Worksheet, payment_file: PaymentFile) -> None:
    entries: list[tuple[str, object, str]] = [
        ("付款账号", text(payment_file.payer_account_number), TEXT_FORMAT),
        ("付款户名", text(payment_file.payer_account_name), TEXT_FORMAT),
        ("付款银行", text(payment_file.payer_bank), TEXT_FORMAT),
        ("批次号", text(payment_file.batch_reference), TEXT_FORMAT),
        ("业务日期", payment_file.business_date.isoformat(), TEXT_FORMAT),
        ("总笔数", payment_file.line_count, "0"),
        ("总金额", amount(payment_file.total_fen), AMOUNT_FORMAT),
    ]
    for label, value, number_format in entries:
        ws.append((label, value))
        ws.cell(row=ws.max_row, column=2).number_format = number_format
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 30


def write(payment_file: PaymentFile, lines: list[PaymentLine], encoding: str | None = None) -> bytes:
    """The workbook's bytes; ``lines`` are already envelope-checked and in their fixed order."""
    del encoding  # XLSX text is always UTF-8 inside the package
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = LINES_SHEET
    _fill_lines(ws, lines)
    _fill_summary(wb.create_sheet(SUMMARY_SHEET), payment_file)

    stamp = dt.datetime.combine(payment_file.business_date, dt.time())
    return stable_xlsx.save(wb, stamp, f"代发批次 {payment_file.batch_reference}")
