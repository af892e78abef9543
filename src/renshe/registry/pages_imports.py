"""批量导入页面 — upload a file, follow its check live, read the report, confirm the import.

The page polls a small status fragment while the job runs (the jobs progress, counted in rows);
when the check is done the fragment carries the report: every bad row with its row number,
column and reason in the user's language, and the rows already registered (skipped).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.db.tenant import tenant_transaction
from renshe.errors import NotFound
from renshe.i18n import gettext as _
from renshe.i18n import lazy, translate
from renshe.jobs import service as jobs
from renshe.registry.api import WRITE
from renshe.registry.forms import failed, text
from renshe.registry.imports import error_file, reader
from renshe.registry.imports import service as imports
from renshe.registry.imports.template import template_file
from renshe.registry.model import FieldErrors
from renshe.registry.pages_common import Req, caller, download
from renshe.web import flash

POLL_SECONDS = 2
UPLOAD_LIMIT = reader.MAX_BYTES + 512 * 1024  # the file plus the form around it
UPLOADED = lazy("%(filename)s is uploaded and is being checked.")
IMPORT_STARTED = lazy("The import has started: %(rows)s rows are being registered.")


async def _upload_page(
    request: Req, status: int = 200, errors: dict[str, str] | None = None, kind: str = "people"
) -> Template:
    c = caller(request)
    units = c.reading()
    async with tenant_transaction(c.context()):
        batches = await imports.list_batches(units)
    return Template(
        "registry/imports.html",
        context={
            "batches": batches,
            "errors": errors or {},
            "kind": kind,
            "max_mb": reader.MAX_BYTES // (1024 * 1024),
            "max_rows": reader.MAX_ROWS,
        },
        status_code=status,
    )


@get("/registry/imports", name="registry.imports", guards=[WRITE], include_in_schema=False)
async def imports_page(request: Req) -> Template:
    return await _upload_page(request)


@get(
    "/registry/import-template/{file_format:str}",
    name="registry.imports.template",
    guards=[WRITE],
    include_in_schema=False,
)
async def import_template(request: Req, file_format: FromPath[str]) -> Response[bytes]:
    if file_format not in ("csv", "xlsx"):
        raise NotFound()
    kind = request.query_params.get("kind", "people")
    kind = kind if kind in imports.KINDS else "people"
    return download(template_file(kind, file_format), file_format, f"import-template-{kind}")


@post(
    "/registry/imports",
    name="registry.imports.upload",
    guards=[WRITE],
    include_in_schema=False,
    request_max_body_size=UPLOAD_LIMIT,
)
async def upload(request: Req) -> Template | Redirect:
    form = await request.form()
    kind = text(form, "kind") or "people"
    upload_file = form.get("file")
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        return await _upload_page(request, 422, {"file": _("Choose the file to import.")}, kind)
    data = await upload_file.read()
    c = caller(request)
    tenant = c.writing_district()
    try:
        async with tenant_transaction(c.context()):
            batch = await imports.upload(tenant, c.actor, kind, upload_file.filename, data)
    except reader.FileProblem as exc:
        return await _upload_page(request, 422, failed(exc), kind)
    except FieldErrors as exc:
        return await _upload_page(request, 422, failed(exc), kind)
    await flash.push(request, "info", UPLOADED, filename=batch.filename)
    return Redirect(f"/registry/imports/{batch.id}", status_code=303)


async def _status_context(request: Req, batch_id: UUID) -> dict[str, Any]:
    c = caller(request)
    units = c.reading()
    async with tenant_transaction(c.context()):
        batch = await imports.get_batch(batch_id, units)
        job_id = batch.import_job_id if batch.status == "importing" else batch.validate_job_id
        job = await jobs.get(batch.tenant_id, job_id) if job_id else None
    report = batch.report or {}
    return {
        "batch": batch,
        "job": job,
        "poll_seconds": POLL_SECONDS,
        "report": report,
        "file_error": translate(report["file_error"], report.get("file_params"))
        if report.get("file_error")
        else None,
        "errors": [dict(i, text=translate(i["message"], i.get("params"))) for i in report.get("errors", [])],
        "warnings": [
            dict(i, text=translate(i["message"], i.get("params"))) for i in report.get("warnings", [])
        ],
        "changed_since_check": _(report["changed_since_check"])
        if report.get("changed_since_check")
        else None,
        "running": batch.status in ("uploaded", "validating", "importing") and not (job and job.finished),
        "confirm_error": None,
    }


@get("/registry/imports/{batch_id:uuid}", name="registry.import", guards=[WRITE], include_in_schema=False)
async def import_page(request: Req, batch_id: FromPath[UUID]) -> Template:
    return Template("registry/import_detail.html", context=await _status_context(request, batch_id))


@get(
    "/registry/imports/{batch_id:uuid}/status",
    name="registry.import.status",
    guards=[WRITE],
    include_in_schema=False,
)
async def import_status(request: Req, batch_id: FromPath[UUID]) -> Template:
    """The live part of the import page (HTMX polls it until the job has finished)."""
    return Template("registry/_import_status.html", context=await _status_context(request, batch_id))


@post(
    "/registry/imports/{batch_id:uuid}/confirm",
    name="registry.import.confirm",
    guards=[WRITE],
    include_in_schema=False,
)
async def confirm(request: Req, batch_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    c = caller(request)
    tenant = c.writing_district()
    try:
        async with tenant_transaction(c.context()):
            batch = await imports.confirm(
                tenant, c.actor, batch_id, confirm_warnings=form.get("confirm_warnings") in ("1", "on")
            )
    except FieldErrors as exc:
        context = await _status_context(request, batch_id)
        context["confirm_error"] = failed(exc).get("confirm_warnings")
        return Template("registry/import_detail.html", context=context, status_code=422)
    await flash.push(request, "info", IMPORT_STARTED, rows=f"{batch.to_import:,}")
    return Redirect(f"/registry/imports/{batch_id}", status_code=303)


@get(
    "/registry/imports/{batch_id:uuid}/error-file",
    name="registry.import.error_file",
    guards=[WRITE],
    include_in_schema=False,
)
async def import_error_file(request: Req, batch_id: FromPath[UUID]) -> Response[bytes]:
    """The uploaded file again with an error column (who may see the import may download it)."""
    made = await error_file.error_file(caller(request), batch_id)
    return download(made.content, made.file_format, made.stem)


ROUTES = [imports_page, import_template, upload, import_page, import_status, confirm, import_error_file]
