"""XLSX: sheet ``代发明细`` (one header row, one row per payment) and sheet ``批次汇总`` (the header).

The account column holds **text cells** (value a string, number format ``@``) so a spreadsheet
never turns ``6222…`` into ``6.22E+18`` or drops a leading zero; amounts are numeric cells in yuan
with format ``0.00`` (two decimals, no thousands separator), written from ``Decimal`` so no float
rounding is involved.

Byte-identical regeneration: openpyxl stamps the save time into ``docProps/core.xml`` and every
zip member, so the workbook is written with ``ExcelWriter`` directly (bypassing ``save_workbook``,
which overwrites ``modified`` with now), with created/modified set to the business date, and the
archive is then re-packed with every member dated to the business date as well.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from renshe.disbursement.bankfiles.cells import amount, text
from renshe.disbursement.bankfiles.generic_csv import COLUMNS, row
from renshe.disbursement.bankfiles.record import PaymentFile, PaymentLine

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


def _stable_zip(raw: bytes, stamp: dt.datetime) -> bytes:
    """Re-pack ``raw`` with every member dated ``stamp``, in the same order, same compression."""
    date_time = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


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
    wb.properties.creator = "renshe"
    wb.properties.lastModifiedBy = "renshe"
    wb.properties.title = f"代发批次 {payment_file.batch_reference}"
    wb.properties.created = stamp
    wb.properties.modified = stamp

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _stable_zip(raw.getvalue(), stamp)
