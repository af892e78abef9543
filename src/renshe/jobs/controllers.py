"""Jobs pages (后台任务) and API: the list, one job with live progress, and the manual audit check.

Thin: parse, call :mod:`renshe.jobs.access`, render. Another district's job answers 404 exactly
like a missing one (pages and API alike).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Principal, Role
from renshe.api.openapi import query_rule
from renshe.api.pagination import Limit, clamp_limit
from renshe.audit import service as audit
from renshe.i18n import current_locale, gettext, lazy
from renshe.jobs import access, kinds
from renshe.jobs import metrics as job_metrics
from renshe.jobs.schemas import JobList, JobOut, job_out, result_summary
from renshe.jobs.service import STATUSES, Job
from renshe.web import flash
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
PAGE_SIZE = 50
POLL_SECONDS = 2
JOB_READERS = requires_roles(
    Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.DISTRICT_ADMIN,
    Role.CITY_ANALYST, Role.CITY_ADMIN, Role.SYSADMIN,
)  # fmt: skip

AUDIT_CHECK_STARTED = lazy("The audit chain check has started.")
JOB_CANCELLED = lazy("The job is cancelled.")
STATUS_LABELS = {
    "queued": lazy("Queued"),
    "running": lazy("Running"),
    "succeeded": lazy("Succeeded"),
    "failed": lazy("Failed"),
    "cancelled": lazy("Cancelled"),
}


def _principal(request: Req) -> Principal:
    return request.scope["principal"]  # type: ignore[typeddict-item]


def _actor(request: Req) -> audit.Actor:
    origin = Origin(ip=request.client.host if request.client else None, request_id=request_id_of(request))
    return actor_for(_principal(request), origin)


def kind_title(kind: str) -> str:
    spec = kinds.get(kind)
    return spec.title if spec and spec.title else kind


def _context(job: Job, unit: dict[str, Any], p: Principal) -> dict[str, Any]:
    return {
        "job": job,
        "unit": unit,
        "kind_title": kind_title(job.kind),
        "status_labels": STATUS_LABELS,
        "can_cancel": access.can_cancel(p, job),
        "poll_seconds": POLL_SECONDS,
        "summary": result_summary(job),
        # an error text may be a msgid (a domain error) or plain text; never %-formatted
        "error_text": gettext(job.last_error) if job.last_error else None,
    }


# ------------------------------------------------------------------ pages


@get("/jobs", name="jobs.list", guards=[JOB_READERS], include_in_schema=False)
async def jobs_page(
    request: Req,
    cursor: FromQuery[str | None] = None,
    status: FromQuery[str | None] = None,
    routine: FromQuery[str | None] = None,
) -> Template:
    p = _principal(request)
    page = await access.list_for(
        p, request_id_of(request), limit=PAGE_SIZE, cursor=cursor, status=status or None,
        routine=routine == "1",
    )  # fmt: skip
    return Template(
        "jobs/list.html",
        context={
            "page": page,
            "status": status or "",
            "routine": routine == "1",
            "status_labels": STATUS_LABELS,
            "kind_title": kind_title,
            "summary_of": result_summary,
            "can_run_audit_check": access.can_run_audit_check(p),
            "city_view": not p.is_district,
        },
    )


@get("/jobs/{job_id:uuid}", name="jobs.detail", guards=[JOB_READERS], include_in_schema=False)
async def job_page(request: Req, job_id: FromPath[UUID]) -> Template:
    p = _principal(request)
    job, unit = await access.get_for(p, request_id_of(request), job_id)
    return Template("jobs/detail.html", context=_context(job, unit, p))


@get("/jobs/{job_id:uuid}/progress", name="jobs.progress", guards=[JOB_READERS],
     include_in_schema=False)  # fmt: skip
async def job_progress(request: Req, job_id: FromPath[UUID]) -> Template:
    """The live part of the job page; HTMX polls it until the job has finished."""
    p = _principal(request)
    job, unit = await access.get_for(p, request_id_of(request), job_id)
    return Template("jobs/_progress.html", context=_context(job, unit, p))


@post("/jobs/audit-check", name="jobs.audit_check", guards=[JOB_READERS], include_in_schema=False)
async def run_audit_check(request: Req) -> Redirect:
    job = await access.request_audit_check(_principal(request), _actor(request))
    await flash.push(request, "info", AUDIT_CHECK_STARTED)
    return Redirect(path=f"/jobs/{job.id}", status_code=303)


@post("/jobs/{job_id:uuid}/cancel", name="jobs.cancel", guards=[JOB_READERS],
      include_in_schema=False)  # fmt: skip
async def cancel_job(request: Req, job_id: FromPath[UUID]) -> Redirect:
    await access.cancel_for(_principal(request), _actor(request), job_id)
    await flash.push(request, "success", JOB_CANCELLED)
    return Redirect(path=f"/jobs/{job_id}", status_code=303)


# ------------------------------------------------------------------ API


@get("/api/v1/jobs", name="api.jobs.list", guards=[JOB_READERS], tags=["jobs"])
async def api_jobs(
    request: Req,
    limit: Limit = None,
    cursor: FromQuery[str | None] = None,
    status: Annotated[str | None, query_rule(enum=list(STATUSES))] = None,
    routine: FromQuery[bool] = False,
) -> JobList:
    """The caller's jobs, newest first (a city user: every job of the city's org units); the
    routine folds of the rollups only with ``routine=true``."""
    page = await access.list_for(
        _principal(request), request_id_of(request), limit=clamp_limit(limit), cursor=cursor,
        status=status, routine=routine,
    )  # fmt: skip
    locale = current_locale.get()
    return JobList(
        items=[job_out(j, page.units.get(j.tenant_id, {}), locale) for j in page.jobs],
        next_cursor=page.next_cursor,
    )


@get("/api/v1/jobs/{job_id:uuid}", name="api.jobs.detail", guards=[JOB_READERS], tags=["jobs"])
async def api_job(request: Req, job_id: FromPath[UUID]) -> JobOut:
    """One job: status, progress, result or error. Another district's job is 404."""
    job, unit = await access.get_for(_principal(request), request_id_of(request), job_id)
    return job_out(job, unit, current_locale.get())


job_metrics.register()

ROUTES = [jobs_page, job_page, job_progress, run_audit_check, cancel_job, api_jobs, api_job]
