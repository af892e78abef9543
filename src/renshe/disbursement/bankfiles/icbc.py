"""A layout **modelled on** a large commercial bank's batch-payment template (工商银行企业网银
批量代发/批量支付 style). It is *not* the bank's official specification: the district checks it
against the template its branch hands out before the first real upload.

CSV in GBK, CRLF line ends. A header block, one ``label,value`` pair a row::

    付款账号,付款户名,付款银行,总笔数,总金额,批次号,业务日期

then an empty row, then the column titles and one row per payment::

    收款人账号,收款人名称,收款银行,收款省份,收款城市,金额,用途,备注,自定义序号

``自定义序号`` (the bank's customer sequence field, echoed back in its return file) carries our line
reference so the return can be matched. Amounts in yuan, two decimals, no separator.
"""

from __future__ import annotations

from renshe.disbursement.bankfiles.cells import amount, csv_bytes, text
from renshe.disbursement.bankfiles.record import PaymentFile, PaymentLine

HEADER_LABELS = ("付款账号", "付款户名", "付款银行", "总笔数", "总金额", "批次号", "业务日期")
COLUMNS = (
    "收款人账号",
    "收款人名称",
    "收款银行",
    "收款省份",
    "收款城市",
    "金额",
    "用途",
    "备注",
    "自定义序号",
)


def header_block(payment_file: PaymentFile) -> list[tuple[object, ...]]:
    values: tuple[object, ...] = (
        text(payment_file.payer_account_number),
        text(payment_file.payer_account_name),
        text(payment_file.payer_bank),
        payment_file.line_count,
        amount(payment_file.total_fen),
        text(payment_file.batch_reference),
        payment_file.business_date.isoformat(),
    )
    return list(zip(HEADER_LABELS, values, strict=True))


def row(line: PaymentLine) -> tuple[object, ...]:
    return (
        text(line.account_number),
        text(line.account_name),
        text(line.bank_name),
        text(line.bank_province),
        text(line.bank_city),
        amount(line.amount_fen),
        text(line.purpose),
        text(line.note),
        text(line.reference),
    )


def write(payment_file: PaymentFile, lines: list[PaymentLine], encoding: str) -> bytes:
    """The file's bytes; ``lines`` are already envelope-checked and in their fixed order."""
    rows: list[tuple[object, ...]] = [*header_block(payment_file), (), COLUMNS]
    rows.extend(row(line) for line in lines)
    return csv_bytes(rows, encoding)
