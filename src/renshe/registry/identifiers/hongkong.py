"""香港身份證號碼 (HKID): 1–2 letters, 6 digits and a check character (``0``–``9`` or ``A``).

Letters count A=10 … Z=35; a one-letter prefix is padded in front with 36 (a space). Weights
9 8 7 6 5 4 3 2 over the 8 positions, ``r = S mod 11``, check ``0`` if r = 0, ``A`` if r = 1,
else ``11 − r``. Old validators counting A=1…Z=26 without the padding wrongly reject two-letter
prefixes such as ``CA182361(1)``.
"""

from __future__ import annotations

import re

from . import messages
from .model import DocumentInvalid

PATTERN = re.compile(r"([A-Z]{1,2})(\d{6})([0-9A])")
WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
PADDING = 36


def check_character(prefix: str, digits: str) -> str:
    """The check character of a letter prefix (1 or 2 letters) and its 6 digits."""
    values = [PADDING] * (2 - len(prefix)) + [ord(letter) - ord("A") + 10 for letter in prefix]
    values += [int(digit) for digit in digits]
    remainder = sum(value * weight for value, weight in zip(values, WEIGHTS, strict=True)) % 11
    if remainder == 0:
        return "0"
    if remainder == 1:
        return "A"
    return str(11 - remainder)


def validate(number: str) -> str:
    """The stored form (no brackets: ``A1234563``) of a normalised HKID number."""
    match = PATTERN.fullmatch(number)
    if match is None:
        raise DocumentInvalid(messages.HKID_FORMAT)
    prefix, digits, check = match.groups()
    if check_character(prefix, digits) != check:
        raise DocumentInvalid(messages.WRONG_CHECK_CHARACTER)
    return number
