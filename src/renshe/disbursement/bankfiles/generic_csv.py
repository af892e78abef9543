"""通用 CSV: one header row in Chinese, then one row per payment line.

Encoding as the bank wants it (``utf-8``, written with a byte-order mark, or ``gbk``); amounts in
yuan with two decimals and no thousands separator; every text value quoted (account numbers stay
text), numbers bare; CRLF line ends.
"""

from __future__ import annotations

from renshe.disbursement.bankfiles.cells import amount, csv_bytes, text
from renshe.disbursement.bankfiles.record import PaymentFile, PaymentLine

COLUMNS = (
    "业务参考号",
    "收款人账号",
    "收款人户名",
    "收款银行",
    "收款省份",
    "收款城市",
    "金额（元）",
    "用途",
    "备注",
)


def row(line: PaymentLine) -> tuple[object, ...]:
    return (
        text(line.reference),
        text(line.account_number),
        text(line.account_name),
        text(line.bank_name),
        text(line.bank_province),
        text(line.bank_city),
        amount(line.amount_fen),
        text(line.purpose),
        text(line.note),
    )


def write(payment_file: PaymentFile, lines: list[PaymentLine], encoding: str) -> bytes:
    """The file's bytes; ``lines`` are already envelope-checked and in their fixed order."""
    del payment_file  # the generic layout carries no header block
    return csv_bytes([COLUMNS, *(row(line) for line in lines)], encoding)
