"""When the demo's story happens (演示数据的时间线), counted back from the day it is seeded on.

``renshe seed --demo`` writes a story, each step at its business instant (``clock.story_at``):

* the opening: the bureau's units and programs (``renshe demo``'s first start) and the demo
  accounts, the morning before the first registration; the registry's demo load an hour later;
* registrations: people and enterprises over :data:`REGISTRATION_DAYS`, the last one
  :data:`REGISTERED_BY_DAYS` before today — before the oldest application of the subsidies demo
  (about 28 working days back, ``renshe.subsidies.demo``), so nobody applies before being registered;
* the last five weeks: applications, decisions, nightly batches, bank returns.

The rows carry these instants and so does the audit log (``renshe.audit.story_clock``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from renshe import clock

REGISTERED_BY_DAYS = 60  # > 28 working days, even with a Golden Week or the Spring Festival in them
REGISTRATION_DAYS = 730
OFFICE_OPENS = time(8, 30)
OFFICE_MINUTES = 9 * 60  # 08:30–17:30


def office_instant(day: date, minute: int) -> datetime:
    """``minute`` (any number, taken modulo the office day) after the office opens on ``day``."""
    opens = datetime.combine(day, OFFICE_OPENS, clock.SHANGHAI)
    return opens + timedelta(minutes=minute % OFFICE_MINUTES)


def registered_at(today: date, days_back: int, minute: int) -> datetime:
    """A registration ``days_back`` (0 … :data:`REGISTRATION_DAYS` - 1) days before the window's end."""
    return office_instant(today - timedelta(days=REGISTERED_BY_DAYS + days_back % REGISTRATION_DAYS), minute)


def opening(today: date) -> datetime:
    """The story's first instant: before any registration."""
    return office_instant(today - timedelta(days=REGISTERED_BY_DAYS + REGISTRATION_DAYS), 0)


def registry_loaded(today: date) -> datetime:
    """The registry's demo load (its one audit record): after the accounts, before any registration."""
    return opening(today) + timedelta(hours=1)
