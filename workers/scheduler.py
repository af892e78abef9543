"""The scheduler (``renshe scheduler``): the nightly fan-out and the dispatcher sweep.

APScheduler 3 on an asyncio loop, timezone Asia/Shanghai. The nightly fan-out fires at
``RENSHE_NIGHTLY_HOUR``:00 for business date = yesterday (Shanghai); at start-up it also catches
up the most recent night it may have missed. Both are safe to run on two replicas at once: the
fan-out is idempotent by a unique key, the sweep locks rows with SKIP LOCKED.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from renshe import clock
from renshe.db import engine
from renshe.jobs import dispatcher, kinds, nightly
from renshe.logging import configure_logging
from renshe.rollups import tasks as rollup_tasks
from renshe.settings import Settings, get_settings
from renshe.talent import tasks as talent_tasks

SHANGHAI = ZoneInfo("Asia/Shanghai")
log = structlog.get_logger(__name__)


def business_date(now: datetime) -> date:
    """The business date a nightly run at ``now`` processes: yesterday in Shanghai."""
    return now.astimezone(SHANGHAI).date() - timedelta(days=1)


def last_due_business_date(now: datetime, nightly_hour: int) -> date:
    """The business date of the most recent nightly run that should already have fired."""
    local = now.astimezone(SHANGHAI)
    if local.hour >= nightly_hour:
        return local.date() - timedelta(days=1)
    return local.date() - timedelta(days=2)


async def run_nightly(day: date | None = None) -> None:
    day = day or business_date(clock.now())
    planned = await nightly.fan_out(day)
    log.info(
        "scheduler.nightly",
        business_date=day.isoformat(),
        created=sum(p.created for p in planned),
        existing=sum(not p.created for p in planned),
    )


async def run_sweep() -> None:
    try:
        await dispatcher.sweep()
    except Exception:  # a database hiccup must not stop the schedule
        log.warning("scheduler.sweep_failed", exc_info=True)


async def run_status_sweep() -> None:
    """Talent-card status lists changed and not yet republished (a lost message): within a minute."""
    try:
        await talent_tasks.enqueue_due_publications()
    except Exception:
        log.warning("scheduler.status_sweep_failed", exc_info=True)


async def run_rollup_sweep() -> None:
    """Districts with changes not folded yet get a fold job: the rollups trail by well under a minute."""
    try:
        await rollup_tasks.enqueue_due_folds()
    except Exception:
        log.warning("scheduler.rollup_sweep_failed", exc_info=True)


def build(settings: Settings) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=SHANGHAI)
    scheduler.add_job(
        run_nightly,
        CronTrigger(hour=settings.nightly_hour, minute=0, timezone=SHANGHAI),
        id="nightly",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    scheduler.add_job(
        run_sweep,
        IntervalTrigger(seconds=settings.dispatcher_interval_seconds, timezone=SHANGHAI),
        id="dispatcher",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(SHANGHAI),
    )
    scheduler.add_job(
        run_status_sweep,
        IntervalTrigger(seconds=60, timezone=SHANGHAI),
        id="talent_status_lists",
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        run_rollup_sweep,
        IntervalTrigger(seconds=settings.rollup_sweep_seconds, timezone=SHANGHAI),
        id="rollup_folds",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(SHANGHAI),  # what changed while no scheduler ran is folded now
    )
    return scheduler


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    kinds.load()
    await engine.start(settings, min_size=1, max_size=4)
    scheduler = build(settings)
    scheduler.start()
    log.info("scheduler.started", nightly_hour=settings.nightly_hour,
             dispatcher_seconds=settings.dispatcher_interval_seconds)  # fmt: skip
    try:
        try:
            await run_nightly(last_due_business_date(clock.now(), settings.nightly_hour))
        except Exception:
            log.warning("scheduler.catch_up_failed", exc_info=True)
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        await engine.close()
        log.info("scheduler.stopped")


def main() -> None:
    settings = get_settings()
    configure_logging(settings)

    async def entry() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(settings, stop)

    asyncio.run(entry())


if __name__ == "__main__":
    main()
