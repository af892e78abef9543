"""The official working-day calendar (工作日) and public-notice windows (公示期).

A working day is Monday to Friday, except the official holidays the State Council publishes each
year (国务院办公厅关于部分节假日安排的通知), plus the make-up working Saturdays and Sundays
(调休上班日) of the same notice. The dates come from the ``holidays`` package (``holidays.China``),
which carries the published schedules including make-up workdays; ``tests/subsidies/test_calendar.py``
pins every published date of 2024–2026 so a package upgrade that changes one fails the suite.

For a year whose schedule is not yet published (``schedule_published(year)`` is false) the package
only estimates the statutory holidays and cannot know the make-up workdays. Rather than count on a
guess, such a year falls back to **weekends only** (every Monday to Friday is a working day), says
so in the log (``holiday_calendar_unpublished``, once per process and year) and, through
``unpublished_years``, on every page an administrator opens (docs/operations.md, "Holiday
calendar"), until an upgraded ``holidays`` package brings the State Council's notice.

Conventions (all dates are calendar dates in Asia/Shanghai, no times):

* ``add_working_days(start, n)`` — the n-th working day *after* ``start`` (``start`` itself is never
  counted); ``n == 0`` gives ``start`` unchanged; negative ``n`` counts backwards.
* ``working_days_between(a, b)`` — the number of working days ``d`` with ``a < d <= b`` (half-open,
  the same convention); backwards (``b < a``) it is minus the working days with ``b <= d < a``; so
  ``working_days_between(s, add_working_days(s, n)) == n``.
* ``notice_window(approved_on, days, working_days)`` — the notice (公示) **starts on the first
  working day after the approval day** and runs ``days`` working days **inclusive**; it ends on the
  ``days``-th working day after approval. With ``working_days=False`` the same rule counts calendar
  days (it starts the day after approval). The award becomes ready (公示期满) on ``ready_on`` — the
  first day after ``ends_on``, whatever kind of day that is. The nightly run for business date
  ``D`` happens in the small hours of ``D + 1`` (the day ``D`` is over), so it closes every window
  with ``ends_on <= D`` (``notice_over(window, D)``): the award is paid in that night's batch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import holidays
import structlog
from holidays.countries.china import ChinaStaticHolidays

log = structlog.get_logger(__name__)
_ONE_DAY = dt.timedelta(days=1)
# How far a notice period opened today can reach: 30 working days are about 45 calendar days,
# plus the longest holiday. Administrators are warned this long before an unpublished year begins.
NOTICE_HORIZON = dt.timedelta(days=60)
_SATURDAY = 5


@dataclass(frozen=True, slots=True)
class _Year:
    """One year of the official schedule: days off on weekdays, and weekend days worked."""

    days_off: frozenset[dt.date]
    make_up_workdays: frozenset[dt.date]


@cache
def _year(year: int) -> _Year:
    if not schedule_published(year):
        log.warning(
            "holiday_calendar_unpublished",
            year=year,
            fallback="weekends only: Monday to Friday are working days",
            remedy="upgrade the holidays package once the State Council's notice is out",
        )
        return _Year(days_off=frozenset(), make_up_workdays=frozenset())
    cn = holidays.China(years=year)
    return _Year(
        days_off=frozenset(d for d in cn if d.year == year),
        # weekend_workdays is shared across years inside the package: keep this year's only.
        make_up_workdays=frozenset(d for d in cn.weekend_workdays if d.year == year),
    )


def is_working_day(day: dt.date) -> bool:
    """True on Monday–Friday that is not an official holiday, and on a make-up working weekend day."""
    year = _year(day.year)
    if day.weekday() >= _SATURDAY:
        return day in year.make_up_workdays
    return day not in year.days_off


def is_make_up_workday(day: dt.date) -> bool:
    """True on a Saturday or Sunday that is worked by the State Council's schedule (调休上班)."""
    return day.weekday() >= _SATURDAY and day in _year(day.year).make_up_workdays


def schedule_published(year: int) -> bool:
    """Whether the installed ``holidays`` package carries the State Council's notice for ``year``.

    Heuristic: every published notice since 2001 moves at least one day off (调休), so a year with
    no substituted days in the package is an estimate (statutory days only, no make-up workdays).
    """
    return year in ChinaStaticHolidays.special_public_holidays


def unpublished_years(today: dt.date) -> list[int]:
    """The years a notice period opened ``today`` may reach whose schedule is not published (and
    so count weekends only): what administrators are warned about."""
    last = (today + NOTICE_HORIZON).year
    return [year for year in range(today.year, last + 1) if not schedule_published(year)]


def next_working_day(day: dt.date) -> dt.date:
    """The first working day strictly after ``day``."""
    return add_working_days(day, 1)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``start`` (``start`` not counted); backwards for negative ``n``."""
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    day = start
    remaining = abs(n)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days ``d`` with ``start < d <= end``.

    When ``end < start`` (counting backwards): minus the working days ``d`` with ``end <= d < start``,
    mirroring ``add_working_days`` with a negative ``n``.
    """
    if end < start:
        return -working_days_between(end - _ONE_DAY, start - _ONE_DAY)
    count = 0
    day = start + _ONE_DAY
    while day <= end:
        if is_working_day(day):
            count += 1
        day += _ONE_DAY
    return count


@dataclass(frozen=True, slots=True)
class NoticeWindow:
    """A public-notice period (公示期): both ends inclusive."""

    starts_on: dt.date
    ends_on: dt.date

    @property
    def ready_on(self) -> dt.date:
        """The first day after the window: the award is ready from this day (公示期满)."""
        return self.ends_on + _ONE_DAY

    def __iter__(self) -> Iterator[dt.date]:
        # Unpacks as ``starts_on, ends_on = notice_window(...)``.
        return iter((self.starts_on, self.ends_on))


def notice_window(approved_on: dt.date, days: int, working_days: bool = True) -> NoticeWindow:
    """The notice period of an award approved on ``approved_on`` (see the module docstring).

    ``days`` must be at least 1: a notice period is mandatory (``ValueError`` otherwise, a
    configuration error).
    """
    if days < 1:
        raise ValueError(f"a notice period lasts at least one day, not {days}")
    if working_days:
        return NoticeWindow(next_working_day(approved_on), add_working_days(approved_on, days))
    return NoticeWindow(approved_on + _ONE_DAY, approved_on + dt.timedelta(days=days))


def notice_over(window: NoticeWindow, business_date: dt.date) -> bool:
    """True when the window has fully elapsed once ``business_date`` is over (``ends_on <= D``)."""
    return window.ends_on <= business_date
