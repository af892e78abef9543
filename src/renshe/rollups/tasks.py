"""Rollup jobs: ``rollups.fold`` (汇总刷新), enqueued by the scheduler's sweep for every district
with pending changes, and ``rollups.recompute`` (汇总核对), nightly per district.

A fold job is keyed by the newest change it was asked for (``fold:<change id>``), so two scheduler
replicas ask once, and a sweep that finds nothing new asks nothing. The handlers are the
domain's functions, in the job's own tenant transaction of the district.
"""

from __future__ import annotations

from typing import Any

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.i18n import gettext, lazy
from renshe.jobs import service as jobs
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun
from renshe.numbers import grouped
from renshe.rollups import folding, monthly, service
from renshe.settings import get_settings

FOLD = "rollups.fold"
RECOMPUTE = "rollups.recompute"


async def enqueue_due_folds() -> int:
    """The scheduler's sweep: a fold for every district with changes not yet asked for."""
    async with tenant_transaction(TenantContext.none()):
        units = await current_transaction().connection.fetch(
            "SELECT id FROM org_units WHERE kind = 'district' AND active"
        )
    asked = 0
    for unit in units:
        async with tenant_transaction(TenantContext.district(unit["id"])):
            newest = await current_transaction().connection.fetchval(
                "SELECT max(id) FROM rollup_changes WHERE tenant_id = $1", unit["id"]
            )
            if newest is not None:
                await jobs.enqueue(FOLD, unit["id"], {}, f"fold:{newest}")
                asked += 1
    return asked


async def fold(run: JobRun) -> dict[str, Any]:
    return {"changes": await folding.fold_all(run.tenant_id)}


FOLDED = lazy("%(changes)s changes folded into the rollups.")


def fold_summary(result: dict[str, Any]) -> str:
    return gettext(FOLDED) % {"changes": grouped(int(result["changes"]))}


FOLD_KIND = register(
    JobKind(
        name=FOLD, handler=fold, time_limit_seconds=10 * 60, max_attempts=5, routine=True,
        title="Fold changes into the rollups", summary=fold_summary,
    )
)  # fmt: skip


async def recompute(run: JobRun) -> dict[str, Any]:
    return await folding.recompute(run.tenant_id, run.business_day())


RECOMPUTED = lazy("%(cells)s rollup cells recounted; %(differences)s differed from the incremental rollups.")


def recompute_summary(result: dict[str, Any]) -> str:
    return gettext(RECOMPUTED) % {
        "cells": grouped(int(result["cells"])), "differences": grouped(int(result["differences"])),
    }  # fmt: skip


RECOMPUTE_KIND = register(
    JobKind(
        name=RECOMPUTE, handler=recompute, time_limit_seconds=30 * 60, max_attempts=5, nightly=True,
        title="Recount the rollups and compare", summary=recompute_summary,
    )
)  # fmt: skip


MONTHLY = "rollups.monthly_report"


async def monthly_report(run: JobRun) -> dict[str, Any]:
    """The night of the first working day of a month writes the previous month's report (once);
    a run asked with ``month`` (YYYY-MM) rewrites that month's."""
    asked = run.args.get("month")
    month = service.month_of(asked) if asked else monthly.report_month(run.business_day())
    if month is None or (not asked and await monthly.exists(run.tenant_id, month)):
        return {"month": None}
    return await monthly.write(run.tenant_id, month, get_settings().small_cell_threshold)


WRITTEN = lazy("The monthly report of %(month)s is written.")
NOTHING_DUE = lazy("No monthly report due tonight.")


def monthly_summary(result: dict[str, Any]) -> str:
    if not result.get("month"):
        return gettext(NOTHING_DUE)
    return gettext(WRITTEN) % {"month": result["month"]}


MONTHLY_KIND = register(
    JobKind(
        name=MONTHLY, handler=monthly_report, time_limit_seconds=15 * 60, max_attempts=5, nightly=True,
        unit_kinds=frozenset({"city"}), title="Write the monthly report", summary=monthly_summary,
    )
)  # fmt: skip
