"""The working-day calendar against the State Council's published schedules (国办发明电)."""

from __future__ import annotations

import datetime as dt

import pytest
import structlog.testing
from hypothesis import given
from hypothesis import strategies as st

from renshe.subsidies import calendar
from renshe.subsidies.calendar import (
    NoticeWindow,
    add_working_days,
    is_make_up_workday,
    is_working_day,
    next_working_day,
    notice_over,
    notice_window,
    schedule_published,
    working_days_between,
)

D = dt.date


def _days(first: dt.date, last: dt.date) -> set[dt.date]:
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}


# The published 放假调休 ranges (every day in a range is off) and 调休上班 days, year by year.
PUBLISHED_OFF = {
    2024: [
        (D(2024, 1, 1), D(2024, 1, 1)),
        (D(2024, 2, 10), D(2024, 2, 17)),
        (D(2024, 4, 4), D(2024, 4, 6)),
        (D(2024, 5, 1), D(2024, 5, 5)),
        (D(2024, 6, 8), D(2024, 6, 10)),
        (D(2024, 9, 15), D(2024, 9, 17)),
        (D(2024, 10, 1), D(2024, 10, 7)),
    ],
    2025: [
        (D(2025, 1, 1), D(2025, 1, 1)),
        (D(2025, 1, 28), D(2025, 2, 4)),
        (D(2025, 4, 4), D(2025, 4, 6)),
        (D(2025, 5, 1), D(2025, 5, 5)),
        (D(2025, 5, 31), D(2025, 6, 2)),
        (D(2025, 10, 1), D(2025, 10, 8)),
    ],
    2026: [
        (D(2026, 1, 1), D(2026, 1, 3)),
        (D(2026, 2, 15), D(2026, 2, 23)),
        (D(2026, 4, 4), D(2026, 4, 6)),
        (D(2026, 5, 1), D(2026, 5, 5)),
        (D(2026, 6, 19), D(2026, 6, 21)),
        (D(2026, 9, 25), D(2026, 9, 27)),
        (D(2026, 10, 1), D(2026, 10, 7)),
    ],
}
PUBLISHED_MAKE_UP = {
    2024: {D(2024, 2, 4), D(2024, 2, 18), D(2024, 4, 7), D(2024, 4, 28)}
    | {D(2024, 5, 11), D(2024, 9, 14), D(2024, 9, 29), D(2024, 10, 12)},
    2025: {D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)},
    2026: {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20), D(2026, 10, 10)},
}


@pytest.mark.parametrize("year", sorted(PUBLISHED_OFF))
def test_every_day_of_a_published_year_matches_the_state_council_notice(year: int) -> None:
    off = set().union(*(_days(a, b) for a, b in PUBLISHED_OFF[year]))
    make_up = PUBLISHED_MAKE_UP[year]
    wrong = []
    for day in sorted(_days(D(year, 1, 1), D(year, 12, 31))):
        expected = day in make_up or (day.weekday() < 5 and day not in off)
        if is_working_day(day) != expected:
            wrong.append((day.isoformat(), expected))
    assert wrong == []
    assert schedule_published(year)


def test_spring_festival_2025() -> None:
    for day in _days(D(2025, 1, 28), D(2025, 2, 4)):
        assert not is_working_day(day), day
    # Sunday 26 January and Saturday 8 February are worked (调休上班).
    assert is_working_day(D(2025, 1, 26)) and is_make_up_workday(D(2025, 1, 26))
    assert is_working_day(D(2025, 2, 8)) and is_make_up_workday(D(2025, 2, 8))
    assert is_working_day(D(2025, 1, 27))  # Monday before the Eve
    assert is_working_day(D(2025, 2, 5))  # back to work
    assert not is_working_day(D(2025, 2, 9))  # an ordinary Sunday


def test_national_day_2025() -> None:
    for day in _days(D(2025, 10, 1), D(2025, 10, 8)):
        assert not is_working_day(day), day
    assert is_working_day(D(2025, 9, 28))  # Sunday
    assert is_working_day(D(2025, 10, 11))  # Saturday
    assert not is_make_up_workday(D(2025, 10, 9))  # an ordinary Thursday is not "make-up"
    assert is_working_day(D(2025, 10, 9))


def test_a_five_day_notice_approved_before_national_day_ends_after_the_holiday() -> None:
    # Approved Monday 29 Sep 2025: notice days are 30 Sep, 9 Oct, 10 Oct, 11 Oct (Saturday, worked)
    # and 13 Oct.
    window = notice_window(D(2025, 9, 29), 5, working_days=True)
    assert window == NoticeWindow(D(2025, 9, 30), D(2025, 10, 13))
    assert window.ready_on == D(2025, 10, 14)
    starts_on, ends_on = window
    assert (starts_on, ends_on) == (D(2025, 9, 30), D(2025, 10, 13))


def test_approval_on_the_make_up_sunday_starts_the_notice_the_next_day() -> None:
    window = notice_window(D(2025, 9, 28), 1)
    assert window == NoticeWindow(D(2025, 9, 29), D(2025, 9, 29))


def test_approval_during_the_spring_festival_starts_when_offices_reopen() -> None:
    window = notice_window(D(2025, 1, 29), 5)
    # 5, 6, 7 Feb, Saturday 8 Feb (worked), Monday 10 Feb.
    assert window == NoticeWindow(D(2025, 2, 5), D(2025, 2, 10))


def test_calendar_day_notice_counts_every_day() -> None:
    window = notice_window(D(2025, 9, 29), 5, working_days=False)
    assert window == NoticeWindow(D(2025, 9, 30), D(2025, 10, 4))


def test_notice_over_once_its_last_day_is_over() -> None:
    window = notice_window(D(2025, 9, 29), 5)
    assert window.ends_on == D(2025, 10, 13)
    assert not notice_over(window, D(2025, 10, 12))
    assert notice_over(window, D(2025, 10, 13))  # the night after the last day of notice


def test_a_notice_period_cannot_be_empty() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        notice_window(D(2025, 9, 29), 0)


def test_add_and_count_conventions() -> None:
    assert add_working_days(D(2025, 9, 30), 0) == D(2025, 9, 30)
    assert add_working_days(D(2025, 10, 1), 0) == D(2025, 10, 1)  # n=0 never moves
    assert next_working_day(D(2025, 9, 30)) == D(2025, 10, 9)
    assert add_working_days(D(2025, 10, 9), -1) == D(2025, 9, 30)
    assert working_days_between(D(2025, 9, 30), D(2025, 10, 9)) == 1
    assert working_days_between(D(2025, 10, 9), D(2025, 9, 30)) == -1
    assert working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0


def test_an_unpublished_year_is_flagged() -> None:
    assert not schedule_published(2040)


def test_an_unpublished_year_counts_weekends_only_and_says_so_in_the_log() -> None:
    calendar._year.cache_clear()  # the warning is logged once per process and year
    with structlog.testing.capture_logs() as logs:
        # 2040-10-01 is a Monday: National Day by statute, but no notice says which days are off
        assert is_working_day(D(2040, 10, 1))
        assert not is_working_day(D(2040, 10, 6))  # a Saturday stays a weekend
        assert notice_window(D(2040, 9, 28), 5) == NoticeWindow(D(2040, 10, 1), D(2040, 10, 5))
    assert [(e["event"], e["log_level"], e["year"]) for e in logs] == [
        ("holiday_calendar_unpublished", "warning", 2040)
    ]
    assert not is_working_day(D(2026, 10, 1))  # a published year keeps its holidays


def test_administrators_are_warned_of_every_unpublished_year_a_notice_can_reach() -> None:
    assert calendar.unpublished_years(D(2026, 3, 10)) == []
    assert calendar.unpublished_years(D(2040, 3, 10)) == [2040]
    assert calendar.unpublished_years(D(2039, 12, 1)) == [2039, 2040]
    assert calendar.unpublished_years(D(2026, 12, 20)) == ([2027] if not schedule_published(2027) else [])


dates = st.dates(min_value=D(2024, 1, 1), max_value=D(2026, 11, 30))


@given(approved_on=dates, days=st.integers(min_value=1, max_value=30), working=st.booleans())
def test_the_window_is_well_formed(approved_on: dt.date, days: int, working: bool) -> None:
    window = notice_window(approved_on, days, working_days=working)
    assert approved_on < window.starts_on <= window.ends_on
    if working:
        assert is_working_day(window.starts_on)
        assert is_working_day(window.ends_on)
        # inclusive: the window holds exactly ``days`` working days
        assert working_days_between(window.starts_on - dt.timedelta(days=1), window.ends_on) == days
        # nothing worked between approval and the start
        assert working_days_between(approved_on, window.starts_on) == 1
    else:
        assert (window.ends_on - window.starts_on).days + 1 == days


@given(start=dates, n=st.integers(min_value=-40, max_value=40))
def test_adding_then_counting_gives_n(start: dt.date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n != 0:
        assert is_working_day(end)
