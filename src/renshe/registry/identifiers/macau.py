"""澳門居民身份證號碼: 8 digits, the first 1, 5 or 7, written ``1234567(8)`` or ``1/234567/8``.

The check algorithm is not published, so only the form is checked; brackets and slashes are
removed by normalisation and the number is stored as 8 plain digits.
"""

from __future__ import annotations

import re

from . import messages
from .model import DocumentInvalid

PATTERN = re.compile(r"[157]\d{7}")


def validate(number: str) -> str:
    """The stored form (``12345678``) of a normalised Macao ID number."""
    if PATTERN.fullmatch(number) is None:
        raise DocumentInvalid(messages.MACAU_ID_FORMAT)
    return number
