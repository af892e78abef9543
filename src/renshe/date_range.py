"""The dates this service works with (日期范围): 1900-01-01 to 2099-12-31.

A date outside them is a typo or an attack, never a citizen's birth date or a batch day, and it
breaks arithmetic further on: ``date(9999, 12, 31) + 1 day`` overflows Python, and year 1 at
Asia/Shanghai midnight is before the first instant PostgreSQL's ``timestamptz`` conversion in
asyncpg accepts. Every date read from a request (filters, form and API fields) is checked here.
"""

from __future__ import annotations

import calendar
from datetime import date

from renshe.errors import ValidationFailed
from renshe.i18n import lazy

EARLIEST = date(1900, 1, 1)
LATEST = date(2099, 12, 31)
OUT_OF_RANGE = lazy("Enter a date between 1900-01-01 and 2099-12-31.")


def in_range(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def check_fields(**days: date | None) -> None:
    """422 naming every given date outside the range (API query filters)."""
    errors = {name: OUT_OF_RANGE for name, day in days.items() if day is not None and not in_range(day)}
    if errors:
        raise ValidationFailed(errors)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
