"""护照号码: passports of every country, so only a sensible form is checked — 5 to 17 letters or
digits after normalisation (ICAO 9303 allows up to 9 in the machine-readable zone, some countries
print longer numbers)."""

from __future__ import annotations

import re

from . import messages
from .model import DocumentInvalid

PATTERN = re.compile(r"[A-Z0-9]{5,17}")


def validate(number: str) -> str:
    """The stored form of a normalised passport number."""
    if PATTERN.fullmatch(number) is None:
        raise DocumentInvalid(messages.PASSPORT_FORMAT)
    return number
