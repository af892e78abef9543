"""The current date and time for business logic, one place to read it and one to replace it.

Notice periods, business dates, budget years, ages from identity numbers and password age all
ask ``clock.today()`` / ``clock.now()``, never ``date.today()`` or ``datetime.now()`` directly, so a
test can put the whole in-process application on a chosen day (``tests/conftest.py``'s ``clock``
fixture calls ``set_now``) instead of depending on the day the suite happens to run. Timestamps the
database writes itself (``now()`` in SQL: ``updated_at``, job heartbeats) stay the database's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # business days are Chinese calendar days


class _Source:
    read: Callable[[], datetime] | None = None


# The demo seed writes a story of past weeks: each step runs "at" its business instant, in its own
# task (districts are seeded concurrently, so a context variable, not the process-wide source).
_story_instant: ContextVar[datetime | None] = ContextVar("renshe_story_instant", default=None)


def now() -> datetime:
    """The current instant, timezone-aware (UTC unless a test's source says otherwise; the step's
    business instant inside :func:`story_at`)."""
    story = _story_instant.get()
    if story is not None:
        return story
    return _Source.read() if _Source.read is not None else datetime.now(UTC)


def record_time() -> datetime | None:
    """The time to stamp on rows written now (``coalesce($n, now())`` in their INSERT/UPDATE):
    the step's business instant inside :func:`story_at`, else None, and the database's own
    ``now()`` applies as everywhere else."""
    return _story_instant.get()


@contextmanager
def story_at(instant: datetime) -> Iterator[None]:
    """Run the enclosed steps as if it were ``instant`` (timezone-aware): the demo seed dates its
    applications, decisions, batches, jobs and events on their business dates, not on the seeding
    time. The audit log takes the instant only while the demo seed holds the story clock open
    (``renshe.audit.story_clock``): otherwise its time is the database's, not the application's."""
    token = _story_instant.set(instant)
    try:
        yield
    finally:
        _story_instant.reset(token)


def today() -> date:
    """The current calendar date in Asia/Shanghai (the business day)."""
    return now().astimezone(SHANGHAI).date()


def set_now(source: Callable[[], datetime] | None) -> None:
    """Read the time from ``source`` from now on (``None``: the real clock again). Tests only.

    ``source`` must return timezone-aware datetimes."""
    _Source.read = source
