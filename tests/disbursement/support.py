"""Building payment files for tests, and reading rendered bank files back the way a bank would."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import load_workbook

from renshe.disbursement.bankfiles import PaymentFile, PaymentLine, envelope_of

BUSINESS_DATE = dt.date(2025, 10, 13)


def line(seq: int, amount_fen: int = 1_000_000, **overrides: str) -> PaymentLine:
    fields = {
        "reference": f"PJ20251013-01-{seq:06d}",
        "account_number": f"62220202001122{seq:05d}",
        "account_name": "陈大文",
        "bank_name": "中国工商银行江门蓬江支行",
        "purpose": "一次性创业资助",
        "note": "",
        "bank_province": "广东省",
        "bank_city": "江门市",
    }
    fields.update(overrides)
    return PaymentLine(amount_fen=amount_fen, **fields)


def payment_file(lines: Sequence[PaymentLine], **overrides: object) -> PaymentFile:
    count, total = envelope_of(lines)
    fields: dict[str, object] = {
        "payer_account_number": "4444070301010012168",
        "payer_account_name": "蓬江区人力资源和社会保障局",
        "payer_bank": "中国建设银行江门分行",
        "batch_reference": "PJ20251013-01",
        "business_date": BUSINESS_DATE,
        "line_count": count,
        "total_fen": total,
    }
    fields.update(overrides)
    return PaymentFile(**fields)  # type: ignore[arg-type]


def fen(yuan_text: object) -> int:
    """Yuan as the bank reads it (text from a CSV, a number from a workbook) → fen, exactly."""
    amount = Decimal(repr(yuan_text)) if isinstance(yuan_text, float) else Decimal(str(yuan_text))
    assert amount == amount.quantize(Decimal("0.01")), yuan_text
    return int(amount * 100)


def read_csv(content: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding), newline="")))


def read_generic_csv(content: bytes, encoding: str) -> tuple[list[str], list[list[str]]]:
    rows = read_csv(content, encoding)
    return rows[0], rows[1:]


def read_icbc(content: bytes) -> tuple[dict[str, str], list[str], list[list[str]]]:
    rows = read_csv(content, "gbk")
    blank = rows.index([])
    header = {label: value for label, value in rows[:blank]}
    return header, rows[blank + 1], rows[blank + 2 :]


def read_xlsx(content: bytes) -> tuple[list[list[object]], list[list[object]], list[list[str]]]:
    """(line rows with values, summary rows, number formats of the line rows)."""
    wb = load_workbook(io.BytesIO(content))
    lines_sheet, summary = wb["代发明细"], wb["批次汇总"]
    values = [[c.value for c in r] for r in lines_sheet.iter_rows()]
    formats = [[c.number_format for c in r] for r in lines_sheet.iter_rows(min_row=2)]
    return values, [[c.value for c in r] for r in summary.iter_rows()], formats
