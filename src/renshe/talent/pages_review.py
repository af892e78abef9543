"""人才卡审核页面 — the reviewer's pages: the queue (submitted applications, oldest first, and the
approvals waiting to be issued, with "issue now"), the decision page of one application (the
reasons per tier; a tier choice defaulting to the claimed one, only that or a lower one offered;
approve, or reject with a required reason), and "issue now" (立即制卡) as a job.

Maker-checker: whoever submitted an application sees no decision buttons, and the service refuses
them with 403 if they post anyway — the page says why.
"""

from __future__ import annotations

from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.forms import text
from renshe.spreadsheets.writers import format_of
from renshe.talent import applications, listing, tasks
from renshe.talent.pages import EXPORT_HEADERS, act, detail_page, export_rows
from renshe.talent.pages_common import (
    REVIEWER,
    Req,
    audited_export,
    caller,
    common,
    district,
    export_file,
    version_of,
)
from renshe.web import flash

ISSUE_STARTED = lazy("Issuing the approved cards has started: this page shows how far it is.")


@get("/talent/review", name="talent.review", guards=[REVIEWER], include_in_schema=False)
async def review_queue(request: Req) -> Template:
    c = caller(request)
    tenant_id = district(c)
    async with tenant_transaction(c.context()):
        work = await listing.queue(tenant_id)
    return Template("talent/review_queue.html", context={**common(c), **work})


@get("/talent/review/export", name="talent.review.export", guards=[REVIEWER], include_in_schema=False)
async def review_export(request: Req) -> Response[bytes]:
    """The queue as CSV or XLSX (waiting for a decision, then waiting to be issued), masked."""
    c = caller(request)
    tenant_id = district(c)
    file_format = format_of(request.query_params.get("format"))
    async with tenant_transaction(c.context()):
        work = await listing.queue(tenant_id)
        rows = work["submitted"] + work["approved"]
        await audited_export(c, "talent_review_queue", rows, file_format)
    return await export_file(
        request, EXPORT_HEADERS, export_rows(rows), _("Talent-card review"), "talent-review"
    )


@post("/talent/review/issue-now", name="talent.review.issue_now", guards=[REVIEWER], include_in_schema=False)
async def issue_now(request: Req) -> Redirect:
    """立即制卡: every approval of the district up to today, as a job; its page shows progress."""
    c = caller(request)
    tenant_id = applications.require(c, Role.REVIEWER)
    async with tenant_transaction(c.context()):
        job = await tasks.request_issue(tenant_id, c.principal.user_id, clock.today())
    await flash.push(request, "info", ISSUE_STARTED)
    return Redirect(f"/jobs/{job.id}", status_code=303)


@get("/talent/review/{application_id:uuid}", name="talent.review.detail", guards=[REVIEWER],
     include_in_schema=False)  # fmt: skip
async def review_detail(request: Req, application_id: FromPath[UUID]) -> Template:
    return await detail_page(caller(request), application_id, template="review")


@post("/talent/review/{application_id:uuid}/approve", name="talent.review.approve", guards=[REVIEWER],
      include_in_schema=False)  # fmt: skip
async def approve(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    """Approve the tier chosen (the claimed one or lower); the card is issued by the job."""
    form = await request.form()
    tier, comment = text(form, "tier") or None, text(form, "comment") or None
    return await act(
        request, application_id, "approved",
        lambda c: applications.approve(c, application_id, version_of(form), tier, comment),
        template="review", values={"tier": tier or "", "comment": comment or ""},
    )  # fmt: skip


@post("/talent/review/{application_id:uuid}/reject", name="talent.review.reject", guards=[REVIEWER],
      include_in_schema=False)  # fmt: skip
async def reject(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    return await act(
        request, application_id, "rejected",
        lambda c: applications.reject(c, application_id, version_of(form), text(form, "comment")),
        template="review", values={"reason": text(form, "comment")},
    )  # fmt: skip


ROUTES = [review_queue, review_export, issue_now, review_detail, approve, reject]
