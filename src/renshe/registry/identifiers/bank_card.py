"""银行卡号 / 银行账号 of a payee.

Card numbers carry a Luhn check digit, but some real Chinese debit cards and most corporate
(对公) account numbers fail it, so a Luhn failure is a warning the clerk confirms, never an error.
"""

from __future__ import annotations

from . import messages
from .model import BankAccountInvalid

MIN_DIGITS = 12
MAX_DIGITS = 30
# Spaces and hyphens group the digits on cards and passbooks (full-width ones too).
_GROUPING = frozenset("-\uff0d")
_FULL_WIDTH_DIGITS = {0xFF10 + i: 0x30 + i for i in range(10)}


def _luhn_sum(digits: str) -> int:
    total = 0
    for position, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check."""
    return _luhn_sum(digits) % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that, appended to ``payload``, makes it pass the Luhn check."""
    return str((10 - _luhn_sum(payload + "0") % 10) % 10)


def check_bank_account(raw: str) -> tuple[str, tuple[str, ...]]:
    """The account number as digits only, and its warnings (a Luhn failure).

    ``BankAccountInvalid`` when empty, not digits, or not 12 to 30 digits long.
    """
    text = raw.translate(_FULL_WIDTH_DIGITS)
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in _GROUPING)
    if not digits:
        raise BankAccountInvalid(messages.ENTER_BANK_ACCOUNT)
    if not digits.isascii() or not digits.isdigit():
        raise BankAccountInvalid(messages.BANK_ACCOUNT_DIGITS)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise BankAccountInvalid(messages.BANK_ACCOUNT_LENGTH)
    warnings = () if luhn_valid(digits) else (messages.BANK_ACCOUNT_LUHN,)
    return digits, warnings
