"""审核页面 — the reviewer's pages: the queue (submitted applications, oldest first, and awards on
hold with open objections), the decision page of one application with its fraud signals
(风险提示, flags that never block), approve / reject (a reason is required to reject; whoever
submitted it cannot decide it — the service says so), and resolving objections with a comment.

Thin like :mod:`pages`: the services decide, the pages show their answers in the user's language.
"""

from __future__ import annotations

from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.errors import NotFound
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.forms import text
from renshe.registry.pages_common import download
from renshe.spreadsheets.writers import format_of, render_off_loop
from renshe.subsidies.applications import listing, notice, service
from renshe.subsidies.applications.api import caller
from renshe.subsidies.applications.pages import (
    EXPORT_HEADERS,
    act,
    audited_export,
    common,
    detail_context,
    detail_page,
    export_rows,
)
from renshe.subsidies.applications.pages_forms import version_of
from renshe.subsidies.applications.pages_new import Req

REVIEWER = requires_roles(Role.REVIEWER)
OBJECTION_NOT_FOUND = lazy("No such objection.")
COMMENT_REQUIRED = lazy("Give a reason.")


@get("/subsidies/review", name="review.queue", guards=[REVIEWER], include_in_schema=False)
async def review_queue(request: Req) -> Template:
    c = caller(request)
    units = c.reading()
    async with tenant_transaction(c.context()):
        work = await listing.queue(units)
    return Template("subsidies/applications/review_queue.html", context={**work, **common(c)})


@get("/subsidies/review/export", name="review.export", guards=[REVIEWER], include_in_schema=False)
async def review_export(request: Req) -> Response[bytes]:
    """The queue as CSV or XLSX (submitted first, then on hold), masked like the page."""
    c = caller(request)
    file_format = format_of(request.query_params.get("format"))
    units = c.reading()
    async with tenant_transaction(c.context()):
        work = await listing.queue(units)
        rows = work["submitted"] + work["on_hold"]
        await audited_export(c, "review_queue", rows, file_format)
    content = await render_off_loop(
        file_format, [_(h) for h in EXPORT_HEADERS], export_rows(rows), _("Review queue")
    )
    return download(content, file_format, "review-queue")


@get(
    "/subsidies/review/{application_id:uuid}",
    name="review.detail",
    guards=[REVIEWER],
    include_in_schema=False,
)
async def review_detail(request: Req, application_id: FromPath[UUID]) -> Template:
    return await detail_page(request, application_id, template="review")


@post("/subsidies/review/{application_id:uuid}/approve", name="review.approve", guards=[REVIEWER],
      include_in_schema=False)  # fmt: skip
async def approve(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    """Approve: the award is frozen, the budget reserved, the public notice opened."""
    form = await request.form()
    return await act(
        request,
        application_id,
        "approved",
        lambda c: service.approve(c, application_id, version_of(form), text(form, "comment") or None),
        template="review",
    )


@post("/subsidies/review/{application_id:uuid}/reject", name="review.reject", guards=[REVIEWER],
      include_in_schema=False)  # fmt: skip
async def reject(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    answer = await act(
        request,
        application_id,
        "rejected",
        lambda c: service.reject(c, application_id, version_of(form), text(form, "comment")),
        template="review",
    )
    if isinstance(answer, Template):
        answer.context["values"] = {"comment": text(form, "comment")}
    return answer


@post("/subsidies/review/{application_id:uuid}/objections/{objection_id:uuid}/resolve",
      name="review.resolve", guards=[REVIEWER], include_in_schema=False)  # fmt: skip
async def resolve(
    request: Req, application_id: FromPath[UUID], objection_id: FromPath[UUID]
) -> Template | Redirect:
    """Resolve one objection: dismissed → back to notice or ready; upheld → the award is rejected."""
    form = await request.form()
    shown = await detail_context(caller(request), application_id)
    if objection_id not in {o["id"] for o in shown["objections"]}:
        raise NotFound(OBJECTION_NOT_FOUND)
    if not text(form, "comment"):
        errors = {"comment": _(COMMENT_REQUIRED)}
        return await detail_page(request, application_id, 422, template="review", errors=errors)
    return await act(
        request,
        application_id,
        "resolved",
        lambda c: notice.resolve_objection(
            c, objection_id, text(form, "resolution"), text(form, "comment") or None
        ),
        template="review",
    )


ROUTES = [review_queue, review_export, review_detail, approve, reject, resolve]
