"""Cell-level rules shared by every layout: formula-injection neutralising and encodability.

Bank files are opened by people in spreadsheet programs before they are uploaded, so any text
cell that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@``, or a leading tab or
carriage return, the OWASP CSV-injection list) gets a leading apostrophe. Line breaks and other
control characters inside a value become spaces: a bank record is one line.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from renshe.disbursement.bankfiles.record import InvalidPaymentLine, PaymentFile, PaymentLine, yuan
from renshe.i18n import lazy

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = {code: " " for code in (*range(32), 127)}

# Chinese column titles of the per-line text fields, for error messages naming the culprit.
LINE_TEXT_FIELDS = {
    "reference": "业务参考号",
    "account_number": "收款人账号",
    "account_name": "收款人户名",
    "bank_name": "收款银行",
    "bank_province": "收款省份",
    "bank_city": "收款城市",
    "purpose": "用途",
    "note": "备注",
}
HEADER_TEXT_FIELDS = {
    "payer_account_number": "付款账号",
    "payer_account_name": "付款户名",
    "payer_bank": "付款银行",
    "batch_reference": "批次号",
}


def text(value: str) -> str:
    """A text cell made safe: formula triggers neutralised, control characters flattened."""
    if value.startswith(FORMULA_TRIGGERS):
        value = "'" + value
    if value.isprintable():  # no control character in it: the common case, without translating
        return value
    return value.translate(_CONTROL)


def check_encodable(payment_file: PaymentFile, lines: list[PaymentLine], encoding: str) -> None:
    """Refuse, naming the line and the field, any text the file's encoding cannot write.

    A name with a rare character (生僻字) outside GBK must never be replaced by ``?`` silently:
    the bank would pay (or reject) a different name.
    """
    everything = "\n".join(
        [text(getattr(payment_file, field)) for field in HEADER_TEXT_FIELDS]
        + [text(getattr(line, field)) for line in lines for field in LINE_TEXT_FIELDS]
    )
    try:  # the common case in one call; only a file that fails is searched line by line
        everything.encode(encoding)
        return
    except UnicodeEncodeError:
        pass
    encoder = codecs.getincrementalencoder(encoding)()
    for field, column in HEADER_TEXT_FIELDS.items():
        _try(
            encoder,
            getattr(payment_file, field),
            payment_file.batch_reference,
            field=field,
            column=column,
            encoding=encoding,
        )
    for line in lines:
        for field, column in LINE_TEXT_FIELDS.items():
            _try(encoder, getattr(line, field), line.reference, field=field, column=column, encoding=encoding)


def _try(
    encoder: codecs.IncrementalEncoder, value: str, reference: str, *, field: str, column: str, encoding: str
) -> None:
    try:
        encoder.encode(text(value), final=True)
    except UnicodeEncodeError as exc:
        raise InvalidPaymentLine(
            lazy(
                "Line %(reference)s: %(column)s contains %(character)s, which the %(encoding)s encoding "
                "required by this bank file cannot write."
            ),
            reference=reference,
            field=field,
            column=column,
            character=exc.object[exc.start : exc.end],
            encoding=encoding.upper(),
        ) from None


def amount(fen: int) -> Decimal:
    """An amount cell: yuan with exactly two decimals (``Decimal("12.30")``), never a float."""
    return Decimal(yuan(fen))


def csv_bytes(rows: Iterable[Sequence[object]], encoding: str) -> bytes:
    """CSV with CRLF line ends; strings quoted (so account numbers read as text), numbers bare.

    ``utf-8`` is written with a byte-order mark, which spreadsheet programs need to detect it.
    """
    buffer = io.StringIO(newline="")
    csv.writer(buffer, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if encoding == "utf-8" else encoding)
