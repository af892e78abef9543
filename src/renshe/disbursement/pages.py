"""发放批次页面 — the finance officer's pages for disbursement batches: the list (filters, pages,
export), "build now", one batch (envelope, lines, live build progress), approval by someone other
than its creator, cancellation, and the bank file in every layout.

Thin: parse, call the disbursement services in the caller's tenant transaction, render. A refused
action answers the batch page at the refusal's status (403, 409, 422) with the service's message in
the layout's message area; another district's batch is the same 404 as a missing one. Downloading
works in the request (``export.export_batch``), like the API.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.disbursement import browse, export, lifecycle, pages_returns, tasks
from renshe.disbursement.pages_common import (
    DONE,
    POLL_SECONDS,
    READ,
    WRITE,
    Req,
    actor_of,
    detail_page,
    district_of,
    labels,
    refused,
)
from renshe.disbursement.service import get_batch
from renshe.errors import DomainError, NotFound
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.numbering import clean_number
from renshe.registry.forms import parse_day
from renshe.registry.pages_common import download, positive_int
from renshe.spreadsheets.writers import format_of
from renshe.spreadsheets.writers import render_off_loop as render_table
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size
from renshe.web.request_context import request_id_of
from renshe.web.templating import format_datetime

CONFIRM_CANCEL = lazy("Tick the box to confirm that this batch is to be cancelled.")
LIST_HEADERS = (
    lazy("Batch reference"),
    lazy("Business date"),
    lazy("State"),
    lazy("Origin"),
    lazy("Payer"),
    lazy("Bank-file layout"),
    lazy("Part"),
    lazy("Line count"),
    lazy("Total (yuan)"),
    lazy("Created by"),
    lazy("Created at"),
    lazy("File SHA-256"),
)

BUILD_STARTED = lazy("Building the batches has started: this page shows how far it is.")


def batch_filter(q: Any) -> tuple[browse.BatchFilter, dict[str, str]]:
    """The list filter from the query string, and the parameters to keep across pages."""
    state = q.get("state")
    f = browse.BatchFilter(
        state=state if state in browse.BATCH_STATES else None,
        date_from=parse_day(q.get("from")),
        date_to=parse_day(q.get("to")),
        with_failures=q.get("failures") == "1",
        number=clean_number(q.get("number")),
    )
    keep = {
        "number": f.number or "",
        "state": f.state or "",
        "from": f.date_from.isoformat() if f.date_from else "",
        "to": f.date_to.isoformat() if f.date_to else "",
        "failures": "1" if f.with_failures else "",
    }
    return f, {k: v for k, v in keep.items() if v}


# ---------------------------------------------------------------- list, export, build now


@get("/disbursement/batches", name="disbursement.batches", guards=[READ], include_in_schema=False)
async def batches_list(request: Req) -> Template:
    principal, tenant = district_of(request)
    f, keep = batch_filter(request.query_params)
    async with tenant_transaction(principal.context(request_id_of(request))):
        page = await browse.batch_page(
            tenant,
            f,
            positive_int(request.query_params.get("page")),
            page_size(request.query_params.get("size"), browse.BATCH_PAGE_SIZE),
        )
    return Template(
        "disbursement/list.html",
        context={
            "page": page,
            "filters": keep,
            "page_sizes": PAGE_SIZES,
            "labels": labels(),
            "can_write": principal.has(Role.FINANCE),
        },
    )


@get(
    "/disbursement/batches/export", name="disbursement.batches.export", guards=[READ], include_in_schema=False
)
async def batches_export(request: Req) -> Response[bytes]:
    """The filtered list as CSV or XLSX (no personal data in it)."""
    principal, tenant = district_of(request)
    file_format = format_of(request.query_params.get("format"))
    f, _keep = batch_filter(request.query_params)
    async with tenant_transaction(principal.context(request_id_of(request))):
        rows = await browse.all_batches(tenant, f)
    names = labels()
    table = [
        (
            r.batch.reference,
            r.batch.business_date.isoformat(),
            names["batch_states"].get(r.batch.state, r.batch.state),
            names["origins"].get(r.batch.origin, r.batch.origin),
            r.batch.payer_name,
            names["layouts"].get(r.batch.layout, r.batch.layout),
            r.batch.part,
            "" if r.batch.declared_count is None else r.batch.declared_count,
            _yuan(r.batch.declared_total_fen),
            str(r.created_by_name) if r.created_by_name else _("System (nightly)"),
            format_datetime(r.batch.created_at),
            r.batch.file_sha256 or "",
        )
        for r in rows
    ]
    content = await render_table(file_format, [_(h) for h in LIST_HEADERS], table, _("Disbursement batches"))
    return download(content, file_format, "disbursement-batches")


def _yuan(fen: int | None) -> str:
    """Yuan with two decimals and no thousands separator (a spreadsheet reads it as a number)."""
    if fen is None:
        return ""
    return f"{fen // 100}.{fen % 100:02d}"


@post(
    "/disbursement/batches/build", name="disbursement.batches.build", guards=[WRITE], include_in_schema=False
)
async def build_now(request: Req) -> Redirect:
    """立即组批: a job collects the district's ready awards; its page shows the live progress."""
    principal, tenant = district_of(request)
    async with tenant_transaction(principal.context(request_id_of(request))):
        job = await tasks.request_build(tenant, principal.user_id, clock.today())
    await flash.push(request, "info", BUILD_STARTED)
    return Redirect(f"/jobs/{job.id}", status_code=303)


# ---------------------------------------------------------------- one batch


@get(
    "/disbursement/batches/{batch_id:uuid}", name="disbursement.batch", guards=[READ], include_in_schema=False
)
async def batch_detail(request: Req, batch_id: FromPath[UUID]) -> Template:
    return await detail_page(request, batch_id)


@get("/disbursement/batches/{batch_id:uuid}/progress", name="disbursement.batch.progress", guards=[READ],
     include_in_schema=False)  # fmt: skip
async def batch_progress(request: Req, batch_id: FromPath[UUID]) -> Template:
    """The live part of a batch being built; once built, HTMX reloads the whole page."""
    principal, tenant = district_of(request)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await get_batch(tenant, batch_id)
        progress = await browse.build_progress(batch) if batch.state == "building" else None
    headers = {} if progress else {"HX-Refresh": "true"}
    return Template(
        "disbursement/_progress.html",
        context={"batch": batch, "progress": progress, "poll_seconds": POLL_SECONDS},
        headers=headers,
    )


@post("/disbursement/batches/{batch_id:uuid}/approve", name="disbursement.batch.approve", guards=[WRITE],
      include_in_schema=False)  # fmt: skip
async def batch_approve(request: Req, batch_id: FromPath[UUID]) -> Template | Redirect:
    """审批: by a finance officer who did not ask for the batch (the service says so otherwise)."""
    principal, tenant = district_of(request)
    form = await request.form()
    version = _version(form.get("version"))
    try:
        async with tenant_transaction(principal.context(request_id_of(request))):
            await lifecycle.approve(tenant, actor_of(request), batch_id, version)
    except NotFound:
        raise
    except DomainError as exc:
        return await refused(request, batch_id, exc.message, exc.params, exc.status_code)
    await flash.push(request, "success", DONE["approved"])
    return Redirect(f"/disbursement/batches/{batch_id}", status_code=303)


@post("/disbursement/batches/{batch_id:uuid}/cancel", name="disbursement.batch.cancel", guards=[WRITE],
      include_in_schema=False)  # fmt: skip
async def batch_cancel(request: Req, batch_id: FromPath[UUID]) -> Template | Redirect:
    """作废: only with the confirmation box ticked; the awards return to ``ready``."""
    principal, tenant = district_of(request)
    form = await request.form()
    if form.get("confirm") != "1":  # (another district's batch: the page answers 404 first)
        return await refused(request, batch_id, CONFIRM_CANCEL)
    reason = str(form.get("reason") or "").strip()[:500]
    if (invisible := text_rules.invisible_error(reason)) is not None:
        return await refused(request, batch_id, invisible)
    try:
        async with tenant_transaction(principal.context(request_id_of(request))):
            await lifecycle.cancel(tenant, actor_of(request), batch_id, _version(form.get("version")), reason)
    except NotFound:
        raise
    except DomainError as exc:
        return await refused(request, batch_id, exc.message, exc.params, exc.status_code)
    await flash.push(request, "success", DONE["cancelled"])
    return Redirect(f"/disbursement/batches/{batch_id}", status_code=303)


@post("/disbursement/batches/{batch_id:uuid}/bank-file", name="disbursement.batch.bank_file", guards=[WRITE],
      include_in_schema=False, status_code=200)  # fmt: skip
async def batch_bank_file(request: Req, batch_id: FromPath[UUID]) -> Response[bytes] | Template:
    """The bank file (a POST: the first download in the batch's own layout marks it exported)."""
    principal, tenant = district_of(request)
    form = await request.form()
    layout, _sep, encoding = str(form.get("choice") or "").partition(":")
    try:
        async with tenant_transaction(principal.context(request_id_of(request))):
            made = await export.export_batch(
                tenant, actor_of(request), batch_id, layout or None, encoding or None
            )
    except NotFound:
        raise
    except DomainError as exc:
        return await refused(request, batch_id, exc.message, exc.params, exc.status_code)
    return Response(
        content=made.content,
        media_type=made.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{made.file_name}"',
            "X-File-SHA256": made.sha256,
            "Cache-Control": "no-store",
        },
    )


def _version(raw: object) -> int | None:
    try:
        return int(str(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


ROUTES = [
    batches_list,
    batches_export,
    build_now,
    batch_detail,
    batch_progress,
    batch_approve,
    batch_cancel,
    batch_bank_file,
    *pages_returns.ROUTES,
]
