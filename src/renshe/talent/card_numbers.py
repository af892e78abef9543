"""Talent card numbers (人才卡号): ``QD`` + district code + year + sequence + check character.

``QD4407032026000123`` followed by one check character, e.g. ``QD44070320260001230``. The check
character is ISO 7064 MOD 11-2 over the digits (district, year, sequence), the same algorithm as the
resident identity number's last character, so it is ``0``–``9`` or ``X``: it catches every single
mistyped digit and every swap of two neighbouring digits, and a clerk reading a number over the
phone already knows the ``X``. (MOD 37-2 over the letters too would add nothing: ``QD`` is fixed,
and its check set includes ``*``, which does not survive URLs and spreadsheets.)

The sequence is six digits and grows longer past 999,999, like the record numbers; the database
hands it out (gapless per district and year, never reused) and this module only formats and checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "QD"
PATTERN = r"^QD[0-9]{6}[0-9]{4}[0-9]{6,}[0-9X]$"
_SHAPE = re.compile(PATTERN)


class CardNumberInvalid(ValueError):
    """The text is not a card number: wrong shape or wrong check character."""


def _checksum(digits: str) -> int:
    total = 0
    for ch in digits:
        total = (2 * total + (10 if ch == "X" else int(ch))) % 11
    return total


def check_character(digits: str) -> str:
    """The MOD 11-2 check character of the digits that precede it."""
    value = (1 - 2 * _checksum(digits)) % 11
    return "X" if value == 10 else str(value)


@dataclass(frozen=True, slots=True)
class CardNumber:
    district_code: str
    year: int
    sequence: int

    def __str__(self) -> str:
        digits = f"{self.district_code}{self.year:04d}{self.sequence:06d}"
        return PREFIX + digits + check_character(digits)


def format_card_number(district_code: str, year: int, sequence: int) -> str:
    return str(CardNumber(district_code, year, sequence))


def clean(raw: str) -> str:
    """As typed: spaces and hyphens dropped, upper case."""
    return "".join(ch for ch in raw if not ch.isspace() and ch != "-").upper()


def parse_card_number(raw: str) -> CardNumber:
    """The parts of a card number, or :class:`CardNumberInvalid` (a typo is caught by the check
    character before any lookup)."""
    text = clean(raw)
    if not _SHAPE.match(text):
        raise CardNumberInvalid("not a talent card number")
    digits = text[2:-1]
    if check_character(digits) != text[-1]:
        raise CardNumberInvalid("wrong check character")
    return CardNumber(digits[:6], int(digits[6:10]), int(digits[10:]))
