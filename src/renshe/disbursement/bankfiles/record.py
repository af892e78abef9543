"""The canonical payment record (代发记录) every bank layout renders, and the envelope check.

A batch hands a ``PaymentFile`` (the header: payer, batch reference, business date and the declared
envelope — line count and total) and its ``PaymentLine`` s to ``layouts.render``. Before any byte is
written, ``check_envelope`` validates every line and refuses (``EnvelopeMismatch``) a file whose
lines do not add up to the declared count and total: a file that disagrees with its batch is never
produced.

Money is always integer fen (分); yuan text appears only in the rendered files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from renshe.errors import DomainError
from renshe.i18n import lazy

# A line reference is echoed back by the bank in its return file, so it must survive any bank
# system: ASCII letters, digits, '-' and '_', at most 40 characters (e.g. "PJ20251013-01-000012").
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,40}")
# Chinese bank account numbers are digits only (grouping spaces removed at entry, see registry).
_ACCOUNT = re.compile(r"[0-9]{8,32}")
_NATURAL = re.compile(r"(\d+)")
_TRAILING_NUMBER = re.compile(r"(.*?)(\d*)", re.DOTALL)  # the head, and the digits ending it


@dataclass(frozen=True, slots=True)
class PaymentLine:
    """One payment to one payee (代发明细)."""

    reference: str  # 业务参考号: unique within the file, stable across regenerations
    account_number: str  # 收款人账号 (digits)
    account_name: str  # 收款人户名
    bank_name: str  # 收款银行 (开户行)
    amount_fen: int  # 金额, in fen, > 0
    purpose: str = ""  # 用途, e.g. "一次性创业资助"
    note: str = ""  # 备注
    bank_province: str = ""  # 收款省份 (optional)
    bank_city: str = ""  # 收款城市 (optional)


@dataclass(frozen=True, slots=True)
class PaymentFile:
    """The header of one bank file: who pays, which batch, and the declared envelope."""

    payer_account_number: str  # 付款账号
    payer_account_name: str  # 付款户名
    payer_bank: str  # 付款银行
    batch_reference: str  # 批次号
    business_date: dt.date  # 业务日期
    line_count: int  # declared number of lines (总笔数)
    total_fen: int  # declared total in fen (总金额)


class EnvelopeMismatch(DomainError):
    """The lines do not add up to the batch's declared count or total: nothing is rendered."""

    status_code = 409

    def __init__(self, payment_file: PaymentFile, actual_count: int, actual_total_fen: int) -> None:
        super().__init__(
            lazy(
                "Bank file refused: batch %(batch)s declares %(declared_count)s lines totalling "
                "%(declared_total)s yuan, but its lines are %(actual_count)s totalling %(actual_total)s yuan."
            ),
            batch=payment_file.batch_reference,
            declared_count=payment_file.line_count,
            declared_total=yuan(payment_file.total_fen),
            actual_count=actual_count,
            actual_total=yuan(actual_total_fen),
        )
        mismatched = []
        if actual_count != payment_file.line_count:
            mismatched.append("line_count")
        if actual_total_fen != payment_file.total_fen:
            mismatched.append("total_fen")
        #: which declared values disagree: ``("line_count",)``, ``("total_fen",)`` or both
        self.mismatched = tuple(mismatched)


class InvalidPaymentLine(DomainError):
    """A line (or the header) cannot be written to a bank file; ``field`` names the culprit."""

    status_code = 422

    def __init__(self, message: str, reference: str, field: str, **params: object) -> None:
        super().__init__(message, reference=reference, field=field, **params)
        self.reference = reference
        self.field = field


def yuan(fen: int) -> str:
    """Fen as yuan text with two decimals and no thousands separator: 1234567 → ``"12345.67"``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def natural_key(reference: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting ``B-2`` before ``B-10``: the fixed order lines are written in.

    The lines of one batch share everything but their trailing number (``<batch>-000123``), so
    the key of that head is computed once per batch, not once per line.
    """
    head, number = _TRAILING_NUMBER.fullmatch(reference).groups()  # type: ignore[union-attr]
    if not number:
        return _natural_key(head)
    return (*_natural_key(head), (1, int(number)))


@lru_cache(maxsize=256)
def _natural_key(reference: str) -> tuple[tuple[int, int | str], ...]:
    parts = _NATURAL.split(reference)
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts if p)


def _check_header(payment_file: PaymentFile) -> None:
    ref = payment_file.batch_reference
    if not _REFERENCE.fullmatch(ref):
        raise InvalidPaymentLine(
            lazy("The batch reference %(reference)s must be 1 to 40 letters, digits, '-' or '_'."),
            reference=ref,
            field="batch_reference",
        )
    if not _ACCOUNT.fullmatch(payment_file.payer_account_number):
        raise InvalidPaymentLine(
            lazy("Batch %(reference)s: the payer account number must be 8 to 32 digits."),
            reference=ref,
            field="payer_account_number",
        )
    if not payment_file.payer_account_name.strip():
        raise InvalidPaymentLine(
            lazy("Batch %(reference)s: the payer account name is missing."),
            reference=ref,
            field="payer_account_name",
        )
    if payment_file.line_count < 1:
        # A bank refuses an empty payment file, and an empty batch should never reach export.
        raise InvalidPaymentLine(
            lazy("Batch %(reference)s has no payment lines: there is nothing to send to the bank."),
            reference=ref,
            field="line_count",
        )


def _check_line(line: PaymentLine) -> None:
    ref = line.reference
    if not isinstance(ref, str) or not _REFERENCE.fullmatch(ref):
        raise InvalidPaymentLine(
            lazy("The line reference %(reference)s must be 1 to 40 letters, digits, '-' or '_'."),
            reference=str(ref),
            field="reference",
        )
    amount = line.amount_fen
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidPaymentLine(
            lazy("Payment line %(reference)s: the amount must be a positive whole number of fen."),
            reference=ref,
            field="amount_fen",
        )
    if not _ACCOUNT.fullmatch(line.account_number):
        raise InvalidPaymentLine(
            lazy("Payment line %(reference)s: the payee account number must be 8 to 32 digits."),
            reference=ref,
            field="account_number",
        )
    if not line.account_name.strip():
        raise InvalidPaymentLine(
            lazy("Payment line %(reference)s: the payee name is missing."),
            reference=ref,
            field="account_name",
        )
    if not line.bank_name.strip():
        raise InvalidPaymentLine(
            lazy("Payment line %(reference)s: the payee bank is missing."), reference=ref, field="bank_name"
        )


def check_envelope(payment_file: PaymentFile, lines: Iterable[PaymentLine]) -> list[PaymentLine]:
    """Validate the header and every line, refuse duplicates and any envelope mismatch.

    Returns the lines in the fixed order they are written in (natural order of their reference),
    so the same lines give the same file whatever order the database returned them in.
    """
    _check_header(payment_file)
    ordered = sorted(lines, key=lambda line: natural_key(str(line.reference)))
    seen: set[str] = set()
    total = 0
    for line in ordered:
        _check_line(line)
        if line.reference in seen:
            raise InvalidPaymentLine(
                lazy("The line reference %(reference)s appears more than once in the batch."),
                reference=line.reference,
                field="reference",
            )
        seen.add(line.reference)
        total += line.amount_fen
    if len(ordered) != payment_file.line_count or total != payment_file.total_fen:
        raise EnvelopeMismatch(payment_file, len(ordered), total)
    return ordered


def envelope_of(lines: Sequence[PaymentLine]) -> tuple[int, int]:
    """(line count, total fen) of some lines: what a batch declares when it is built."""
    return len(lines), sum(line.amount_fen for line in lines)
