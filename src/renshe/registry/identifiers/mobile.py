"""中国大陆手机号码: 11 digits ``1[3-9]…`` after removing spaces, hyphens and a country prefix."""

from __future__ import annotations

import re

from . import messages
from .model import MobileInvalid, normalise_text

PATTERN = re.compile(r"1[3-9]\d{9}")
# Longest first: "+86" and "0086" are unambiguous, a bare "86" only when 11 digits remain.
COUNTRY_PREFIXES = ("+86", "0086", "86")


def normalise_mobile(raw: str) -> str:
    """``+86 138-0013-8000`` → ``13800138000``; ``MobileInvalid`` when not a mainland mobile."""
    number = normalise_text(raw)
    if not number:
        raise MobileInvalid(messages.ENTER_MOBILE)
    for prefix in COUNTRY_PREFIXES:
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            number = number[len(prefix) :]
            break
    if PATTERN.fullmatch(number) is None:
        raise MobileInvalid(messages.MOBILE_FORMAT)
    return number
