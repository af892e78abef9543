"""回盘对账页面 — uploading the bank's return file for a batch and what came of it (paid, failed
with the bank's reason, reconciliation errors by row), the batch's return files and their errors,
and the batch's lines as CSV/XLSX (payee name and account masked).

The same file uploaded twice is recognised by the service and applies nothing; the page says so.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Template

from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.disbursement import browse, reconcile
from renshe.disbursement.pages_common import (
    READ,
    WRITE,
    Req,
    actor_of,
    district_of,
    labels,
    message,
    refused,
)
from renshe.disbursement.service import get_batch
from renshe.errors import DomainError, NotFound
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.pages_common import download
from renshe.spreadsheets.writers import format_of
from renshe.spreadsheets.writers import render_off_loop as render_table
from renshe.web.request_context import request_id_of

UPLOAD_LIMIT = reconcile.MAX_RETURN_BYTES + 64 * 1024
CHOOSE_FILE = lazy("Choose the bank's return file (CSV or XLSX).")
LINE_HEADERS = (
    lazy("No."),
    lazy("Line reference"),
    lazy("Payee name"),
    lazy("Payee account"),
    lazy("Payee bank"),
    lazy("Amount (yuan)"),
    lazy("State"),
    lazy("Bank's reason"),
)


def shown_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored reconciliation errors with their kind and message in the user's language."""
    kinds = labels()["problems"]
    return [
        {
            "row": e.get("row"),
            "kind": kinds.get(str(e.get("kind")), str(e.get("kind") or "")),
            "reference": e.get("reference") or "",
            "text": message(str(e.get("message") or ""), e.get("params")),
        }
        for e in errors
    ]


@post("/disbursement/batches/{batch_id:uuid}/returns", name="disbursement.batch.return_upload",
      guards=[WRITE], include_in_schema=False, status_code=200,
      request_max_body_size=UPLOAD_LIMIT)  # fmt: skip
async def return_upload(request: Req, batch_id: FromPath[UUID]) -> Template:
    """对账: apply the bank's return file and show what was paid, failed and refused."""
    principal, tenant = district_of(request)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:  # another district's: 404 first
        return await refused(request, batch_id, CHOOSE_FILE)
    content = await upload.read()
    try:
        async with tenant_transaction(principal.context(request_id_of(request))):
            result = await reconcile.upload_return(
                tenant, actor_of(request), batch_id, upload.filename, content
            )
    except NotFound:
        raise
    except DomainError as exc:
        return await refused(request, batch_id, exc.message, exc.params, exc.status_code)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await get_batch(tenant, batch_id)
        failed = await browse.all_lines(batch, "failed")
    return Template(
        "disbursement/return_result.html",
        context={
            "batch": batch,
            "result": result,
            "filename": upload.filename,
            "errors": shown_errors(result.errors),
            "failed_lines": failed,
            "labels": labels(),
        },
    )


@get("/disbursement/batches/{batch_id:uuid}/returns", name="disbursement.batch.returns", guards=[READ],
     include_in_schema=False)  # fmt: skip
async def returns_page(request: Req, batch_id: FromPath[UUID]) -> Template:
    """The batch's uploaded return files, newest first, each with its reconciliation errors."""
    principal, tenant = district_of(request)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await get_batch(tenant, batch_id)
        uploads = await browse.returns_of(batch)
    return Template(
        "disbursement/returns.html",
        context={
            "batch": batch,
            "uploads": [(u, shown_errors(u.errors)) for u in uploads],
            "labels": labels(),
        },
    )


@get("/disbursement/batches/{batch_id:uuid}/lines/export", name="disbursement.batch.lines_export",
     guards=[READ], include_in_schema=False)  # fmt: skip
async def lines_export(request: Req, batch_id: FromPath[UUID]) -> Response[bytes]:
    """The batch's lines as CSV or XLSX, payee name and account masked; the export is audited."""
    principal, tenant = district_of(request)
    file_format = format_of(request.query_params.get("format"))
    names = labels()["line_states"]
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await get_batch(tenant, batch_id)
        lines = await browse.all_lines(batch)
        await audit.record(tenant, actor_of(request), "disbursement.lines_exported",
                           object_type="disbursement_batch", object_id=batch.id,
                           after={"format": file_format, "lines": len(lines), "masked": True})  # fmt: skip
    rows = [
        (
            line["seq"],
            line["reference"],
            line["payee_name_masked"],
            line["payee_account_masked"],
            line["payee_bank_name"] or "",
            f"{line['amount_fen'] // 100}.{line['amount_fen'] % 100:02d}",
            names.get(line["state"], line["state"]),
            line["bank_reason"] or "",
        )
        for line in lines
    ]
    content = await render_table(file_format, [_(h) for h in LINE_HEADERS], rows, batch.reference)
    return download(content, file_format, f"batch-{batch.reference}-lines")


ROUTES = [return_upload, returns_page, lines_export]
