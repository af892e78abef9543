"""Nightly job kind ``subsidies.close_notices`` (公示期满): per district and business date."""

from __future__ import annotations

from datetime import date
from typing import Any

from renshe.i18n import gettext, lazy
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun
from renshe.numbers import grouped
from renshe.subsidies.applications import notice


async def close_notices(run: JobRun) -> dict[str, Any]:
    """Move every award whose notice window ended before the business date to ``ready``."""
    business_date = run.business_date or date.fromisoformat(run.args["business_date"])
    moved = await notice.close_notices(run.tenant_id, business_date)
    return {"moved": moved, "business_date": business_date.isoformat()}


NOTICES_CLOSED = lazy("%(count)s awards finished their public notice and are ready for payment.")
NO_NOTICE_ENDED = lazy("No public notice had ended by %(date)s.")


def summary(result: dict[str, Any]) -> str:
    moved = int(result["moved"])
    if moved == 0:
        return gettext(NO_NOTICE_ENDED) % {"date": result["business_date"]}
    return gettext(NOTICES_CLOSED) % {"count": grouped(moved)}


CLOSE_NOTICES = register(
    JobKind(
        name="subsidies.close_notices",
        handler=close_notices,
        time_limit_seconds=15 * 60,
        max_attempts=5,
        nightly=True,
        title="Close public notices",
        summary=summary,
    )
)
