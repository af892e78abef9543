"""The demo's story clock: an audit record takes the demo step's instant only while the demo seed
holds the clock open (an owner connection); otherwise — every real request — the database's clock
dates it, whatever instant the application offers. The application role cannot open it, and a
chain whose times are not in insertion order still verifies (``seq`` orders it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from renshe import clock
from renshe.audit import chain, story_clock
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from tests.audit.conftest import TESTER, Unit

pytestmark = pytest.mark.usefixtures("db")


async def _record(unit: Unit, at: datetime | None) -> datetime:
    """Write one record (inside the story at ``at`` when given); return the time it was given."""
    async with tenant_transaction(TenantContext.district(unit.id)):
        if at is None:
            seq = await audit.record(unit.id, TESTER, "test.story")
        else:
            with clock.story_at(at):
                seq = await audit.record(unit.id, TESTER, "test.story")
        stamped: datetime = await current_transaction().connection.fetchval(
            "SELECT at FROM audit_log WHERE tenant_id = $1 AND seq = $2", unit.id, seq
        )
    return stamped


async def _database_now() -> datetime:
    async with tenant_transaction(TenantContext.none()):
        now: datetime = await current_transaction().connection.fetchval("SELECT clock_timestamp()")
    return now


async def test_a_story_instant_dates_a_record_only_while_the_clock_is_open(unit: Unit, settings) -> None:  # type: ignore[no-untyped-def]
    weeks_ago = datetime(2026, 3, 2, 9, 30, tzinfo=clock.SHANGHAI)
    before = await _database_now()
    assert await _record(unit, weeks_ago) >= before  # closed: the database's clock, as for a request

    async with story_clock.opened(settings) as is_open:
        assert is_open
        assert await _record(unit, weeks_ago) == weeks_ago
        future = datetime.now(UTC) + timedelta(days=3)
        assert await _record(unit, future) < future  # never dated in the future
        assert await _record(unit, None) >= before  # no story: the database's clock

    assert await _record(unit, weeks_ago) >= before  # closed again after the seed
    async with tenant_transaction(TenantContext.district(unit.id)):
        report = await chain.verify(current_transaction().connection, unit.id)
    assert report.ok and report.records == 10  # times out of insertion order: seq still orders it


async def test_the_application_role_cannot_open_the_story_clock(unit: Unit) -> None:
    for sql in ("INSERT INTO audit_story_clock DEFAULT VALUES", "SELECT * FROM audit_story_clock"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with tenant_transaction(TenantContext.district(unit.id)):
                await current_transaction().connection.execute(sql)
