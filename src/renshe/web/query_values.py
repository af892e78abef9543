"""Values pages read by hand from a query string (``?page=``, ``?size=``, ``?from=``): one rule each.

A page number that is not a whole number from 1 to :data:`MAX_PAGE`, or a filter date outside
:mod:`renshe.date_range`, answers **400** with a message saying so — never a 500 from an
``OFFSET`` PostgreSQL cannot hold or a date Python cannot add a day to. An empty value means
"not given"; a filter date that is not a date at all is still simply not applied (the date
inputs of the filter forms cannot produce one).
"""

from __future__ import annotations

from datetime import date

from renshe import date_range
from renshe.errors import BadInput
from renshe.i18n import lazy

MAX_PAGE = 100_000
PAGE_OUT_OF_RANGE = lazy("The page number must be a whole number from 1 to %(max)s.")


def page_number(raw: str | None, default: int = 1) -> int:
    if raw is None or not raw.strip():
        return default
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_PAGE)):
        raise BadInput(PAGE_OUT_OF_RANGE, max=MAX_PAGE)
    number = int(text)
    if not 1 <= number <= MAX_PAGE:
        raise BadInput(PAGE_OUT_OF_RANGE, max=MAX_PAGE)
    return number


# The page sizes every list offers (``ui/table.html`` pagination ``sizes``); 50 is the default.
PAGE_SIZES = (20, 50, 100)


def page_size(raw: str | None, default: int = 50) -> int:
    """A ``?size=`` offered by the page size selector; anything else is the default."""
    return int(raw) if raw in {str(n) for n in PAGE_SIZES} else default


def filter_day(raw: str | None) -> date | None:
    """A filter date (YYYY-MM-DD): unreadable → None, out of range → 400."""
    try:
        day = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    if day is not None and not date_range.in_range(day):
        raise BadInput(date_range.OUT_OF_RANGE)
    return day
