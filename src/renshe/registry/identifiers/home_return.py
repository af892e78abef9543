"""港澳居民来往内地通行证 (回乡证): ``H`` (Hong Kong) or ``M`` (Macao), an 8-digit lifetime number and
an optional 2-digit renewal count (换证次数). There is no check digit.

The lifetime part (first 9 characters) identifies the person across renewals, so de-duplication
keys on it and the renewal count is kept separately.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import messages
from .model import DocumentInvalid, Residency

PATTERN = re.compile(r"([HM])(\d{8})(\d{2})?")
RESIDENCY = {"H": Residency.HONG_KONG, "M": Residency.MACAO}


@dataclass(frozen=True, slots=True)
class HomeReturnPermit:
    number: str  # as entered, normalised: M1234567801
    identity_key: str  # lifetime part: M12345678
    renewal_count: int | None  # 1 for "01"; None when not entered
    residency: Residency


def validate(number: str) -> HomeReturnPermit:
    """Split a normalised home-return permit number into its lifetime key and renewal count."""
    match = PATTERN.fullmatch(number)
    if match is None:
        raise DocumentInvalid(messages.HOME_RETURN_FORMAT)
    letter, _, renewal = match.groups()
    return HomeReturnPermit(
        number=number,
        identity_key=number[:9],
        renewal_count=int(renewal) if renewal is not None else None,
        residency=RESIDENCY[letter],
    )
