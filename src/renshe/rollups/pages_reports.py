"""月报 pages — ``/rollups/reports``: the city's monthly reports, newest first, each downloadable as
it was written; the city administrator can have a month's report written (again) now.

City roles only: the report is the bureau's. Thin: list, download, enqueue the job by name.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from renshe import clock
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.errors import NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.jobs import service as jobs
from renshe.registry.pages_common import download
from renshe.rollups import monthly, service, tasks
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
READ = requires_roles(Role.CITY_ANALYST, Role.CITY_ADMIN)
CITY_ADMIN = requires_roles(Role.CITY_ADMIN)
NO_REPORT = lazy("No report for this month.")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
BAD_MONTH = lazy("Choose a past month.")


@get("/rollups/reports", name="rollups.reports", guards=[READ], include_in_schema=False)
async def reports_page(request: Req) -> Template:
    p = principal_of(request)
    async with tenant_transaction(p.context(request_id_of(request))):
        reports = await monthly.listed(p.org_unit.id)
    this_month = clock.today().replace(day=1)
    months = []
    for back in range(1, 25):
        index = this_month.year * 12 + this_month.month - 1 - back
        months.append((f"{index // 12}-{index % 12 + 1:02d}",) * 2)
    return Template(
        "rollups/reports.html",
        context={"reports": reports, "months": months, "can_write": p.has(Role.CITY_ADMIN), "errors": {}},
    )


@get("/rollups/reports/{month:str}/download", name="rollups.report", guards=[READ], include_in_schema=False)
async def report_download(request: Req, month: FromPath[str]) -> Response[bytes]:
    p = principal_of(request)
    found = MONTH_RE.match(month)
    if not found or not 1 <= int(found[2]) <= 12:
        raise NotFound(NO_REPORT)
    first = date(int(found[1]), int(found[2]), 1)
    async with tenant_transaction(p.context(request_id_of(request))):
        content = await monthly.content_of(p.org_unit.id, first)
    if content is None:
        raise NotFound(NO_REPORT)
    return download(content, "xlsx", f"monthly-report-{first:%Y-%m}")


@post("/rollups/reports", name="rollups.reports.write", guards=[CITY_ADMIN], include_in_schema=False)
async def write_now(request: Req) -> Redirect:
    """Write a past month's report now (again): a job, like the night's."""
    p = principal_of(request)
    raw = str((await request.form()).get("month", ""))
    try:
        month = service.month_of(raw)
    except ValueError:
        raise ValidationFailed({"month": BAD_MONTH}) from None
    if month >= clock.today().replace(day=1):
        raise ValidationFailed({"month": BAD_MONTH})
    async with tenant_transaction(p.context(request_id_of(request))):
        key = f"monthly:{month:%Y-%m}:{uuid.uuid4()}"  # asked again, written again
        job = await jobs.enqueue(
            tasks.MONTHLY, p.org_unit.id, {"month": f"{month:%Y-%m}"}, key, requested_by=p.user_id
        )
    return Redirect(f"/jobs/{job.id}", status_code=303)


ROUTES = [reports_page, report_download, write_now]
