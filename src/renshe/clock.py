"""The current date and time for business logic, one place to read it and one to replace it.

Notice periods, business dates, budget years, ages from identity numbers and password age all
ask ``clock.today()`` / ``clock.now()``, never ``date.today()`` or ``datetime.now()`` directly, so a
test can put the whole in-process application on a chosen day (``tests/conftest.py``'s ``clock``
fixture calls ``set_now``) instead of depending on the day the suite happens to run. Timestamps the
database writes itself (``now()`` in SQL: ``updated_at``, job heartbeats) stay the database's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")  # business days are Chinese calendar days



class _Source:
    read: Callable[[], datetime] | None = None


def now() -> datetime:
    """The current instant, timezone-aware (UTC unless a test's source says otherwise)."""
    return _Source.read() if _Source.read is not None else datetime.now(UTC)


def today() -> date:
    """The current calendar date in Asia/Shanghai (the business day)."""
    return now().astimezone(SHANGHAI).date()


def set_now(source: Callable[[], datetime] | None) -> None:
    """Read the time from ``source`` from now on (``None``: the real clock again). Tests only.

    ``source`` must return timezone-aware datetimes."""
    _Source.read = source
