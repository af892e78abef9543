"""Disbursement batches API (``/api/v1/disbursement-batches``).

Thin: parse, open the caller's tenant transaction, call a service, shape the answer. Finance
builds, approves, cancels, downloads and reconciles; the district administrator reads. Another
district's batch answers 404 exactly like a missing one (RLS hides it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath

from renshe import clock, text_rules
from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.display import ActorName, ActorText
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Principal, Role
from renshe.api.openapi import body_operation, content_operation, query_rule
from renshe.api.pagination import Limit, clamp_limit
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.disbursement import browse, export, lifecycle, reconcile, tasks
from renshe.disbursement.bankfiles.layouts import LAYOUTS
from renshe.disbursement.service import Batch, batch_lines, get_batch, list_batches
from renshe.errors import Forbidden, ValidationFailed
from renshe.i18n import lazy
from renshe.numbering import Number
from renshe.registry.masking import mask_in_text, mask_name
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
TAGS = ["disbursement: batches"]
WRITE = requires_roles(Role.FINANCE)
READ = requires_roles(Role.FINANCE, Role.DISTRICT_ADMIN)
SHANGHAI = ZoneInfo("Asia/Shanghai")
RETURN_LIMIT = reconcile.MAX_RETURN_BYTES + 64 * 1024
# approve and cancel read their (optional) body themselves, to answer bad JSON with a 422
ActionBody = body_operation(
    "application/json",
    {"type": "object", "properties": {"version": {"type": "integer"}, "comment": {"type": "string"}}},
    required=False,
)
ReturnBody = body_operation(
    "multipart/form-data",
    {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}},
    required=True,
)
RAW_409 = {"problems": (409,), "raw_body": True}
BankFileContent = content_operation(
    "200", sorted({layout.media_type for layout in LAYOUTS.values()}), {"type": "string", "format": "binary"}
)


class JobAccepted(msgspec.Struct):
    job_id: UUID


class LineOut(msgspec.Struct):
    id: UUID
    application_id: UUID
    seq: int
    reference: str
    amount_fen: int
    state: str
    payee_name_masked: str  # 陈*玲, as on the batch page: the clear name is for the bank file only
    payee_account_masked: str
    bank_reason: str | None = None
    follows_line_id: UUID | None = None


class BatchOut(msgspec.Struct):
    id: UUID
    number: Number  # 批次号 PF440703-2026-000045, what people say on the phone (the id stays the key)
    state: str
    business_date: date
    origin: str
    part: int
    layout: str
    payer_name: str
    line_count: int | None
    total_fen: int | None
    version: int
    created_at: datetime
    file_sha256: str | None = None
    approved_by: UUID | None = None
    approved_by_name: ActorText | None = None
    lines: list[LineOut] | None = None


class BatchList(msgspec.Struct):
    items: list[BatchOut]


class ActionIn(msgspec.Struct):
    version: int | None = None
    comment: str = ""


class ReconciliationOut(msgspec.Struct):
    return_id: UUID
    already_uploaded: bool
    paid: int
    failed: int
    batch_state: str
    errors: list[dict[str, Any]]


async def _batches_out(batches: list[Batch]) -> list[BatchOut]:
    names = await browse.user_names([b.approved_by for b in batches])
    return [_batch_out(b, names) for b in batches]


async def _one_out(batch: Batch, lines: list[dict[str, Any]] | None = None) -> BatchOut:
    return _batch_out(batch, await browse.user_names([batch.approved_by]), lines)


def _batch_out(
    batch: Batch, names: Mapping[UUID, ActorName], lines: list[dict[str, Any]] | None = None
) -> BatchOut:
    approver = names.get(batch.approved_by) if batch.approved_by else None
    return BatchOut(
        id=batch.id, number=batch.number, state=batch.state, business_date=batch.business_date,
        origin=batch.origin,
        part=batch.part, layout=batch.layout, payer_name=batch.payer_name,
        line_count=batch.declared_count, total_fen=batch.declared_total_fen, version=batch.version,
        created_at=batch.created_at, file_sha256=batch.file_sha256, approved_by=batch.approved_by,
        approved_by_name=str(approver) if approver else None,
        lines=None if lines is None else [
            LineOut(id=x["id"], application_id=x["application_id"], seq=x["seq"], reference=x["reference"],
                    amount_fen=x["amount_fen"], state=x["state"],
                    payee_name_masked=mask_name(x["payee_name"] or ""),
                    payee_account_masked=x["payee_account_masked"], bank_reason=_reason(x),
                    follows_line_id=x["follows_line_id"])
            for x in lines
        ],
    )  # fmt: skip


def _reason(line: dict[str, Any]) -> str | None:
    """The bank's reason, masked (reconcile stores it masked; a reason stored before it did is
    masked here)."""
    reason: str | None = line["bank_reason"]
    return mask_in_text(reason, [line["payee_name"] or ""]) if reason else None


def _district(principal: Principal) -> UUID:
    if not principal.is_district:
        raise Forbidden(lazy("Disbursement batches belong to a district."))
    return principal.org_unit.id


def _actor(request: Req) -> audit.Actor:
    ip = request.client.host if request.client else None
    return actor_for(principal_of(request), Origin(ip=ip, request_id=request_id_of(request)))


@post("/api/v1/disbursement-batches", name="api.batches.build", guards=[WRITE], tags=TAGS, status_code=202)
async def build_now(request: Req) -> JobAccepted:
    """Build now (立即组批): collect the district's ready awards into new batches, as a job."""
    principal = principal_of(request)
    tenant = _district(principal)
    async with tenant_transaction(principal.context(request_id_of(request))):
        job = await tasks.request_build(tenant, principal.user_id, clock.today())
    return JobAccepted(job_id=job.id)


@get("/api/v1/disbursement-batches", name="api.batches.list", guards=[READ], tags=TAGS)
async def list_all(request: Req, limit: Limit = None) -> BatchList:
    principal = principal_of(request)
    tenant = _district(principal)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batches = await list_batches(frozenset({tenant}), limit=clamp_limit(limit))
        return BatchList(items=await _batches_out(batches))


@get("/api/v1/disbursement-batches/{batch_id:uuid}", name="api.batches.get", guards=[READ], tags=TAGS)
async def get_one(request: Req, batch_id: FromPath[UUID]) -> BatchOut:
    """One batch with its lines (payee names and accounts masked), envelope and recorded file SHA-256."""
    principal = principal_of(request)
    tenant = _district(principal)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await get_batch(tenant, batch_id)
        return await _one_out(batch, await batch_lines(tenant, batch_id))


async def _body(request: Req) -> ActionIn:
    raw = await request.body()
    if not raw.strip():
        return ActionIn()
    try:
        return msgspec.json.decode(raw, type=ActionIn)
    except msgspec.ValidationError:
        raise ValidationFailed(
            {"body": lazy("Send a JSON object with an optional version and comment.")}
        ) from None
    except msgspec.DecodeError:
        raise ValidationFailed({"body": lazy("The request body is not valid JSON.")}) from None


@post("/api/v1/disbursement-batches/{batch_id:uuid}/approve", name="api.batches.approve", guards=[WRITE],
      tags=TAGS, status_code=200, operation_class=ActionBody, opt=RAW_409)  # fmt: skip
async def approve(request: Req, batch_id: FromPath[UUID]) -> BatchOut:
    """Finance approval by someone other than the batch's creator (maker-checker)."""
    principal, body = principal_of(request), await _body(request)
    tenant = _district(principal)
    async with tenant_transaction(principal.context(request_id_of(request))):
        return await _one_out(await lifecycle.approve(tenant, _actor(request), batch_id, body.version))


@post("/api/v1/disbursement-batches/{batch_id:uuid}/cancel", name="api.batches.cancel", guards=[WRITE],
      tags=TAGS, status_code=200, operation_class=ActionBody, opt=RAW_409)  # fmt: skip
async def cancel(request: Req, batch_id: FromPath[UUID]) -> BatchOut:
    """Cancel a built or approved batch: its awards return to ready."""
    principal, body = principal_of(request), await _body(request)
    tenant = _district(principal)
    text_rules.refuse_invisible(comment=body.comment)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await lifecycle.cancel(tenant, _actor(request), batch_id, body.version, body.comment)
        return await _one_out(batch)


@get("/api/v1/disbursement-batches/{batch_id:uuid}/bank-file", name="api.batches.bank_file", guards=[WRITE],
     tags=TAGS, operation_class=BankFileContent, opt={"problems": (409,)})  # fmt: skip
async def bank_file(
    request: Req,
    batch_id: FromPath[UUID],
    layout: Annotated[str | None, query_rule(enum=sorted(LAYOUTS))] = None,
    encoding: Annotated[
        str | None, query_rule("A text encoding of the layout (utf-8, gbk, gb18030); none for XLSX.")
    ] = None,
) -> Response[bytes]:
    """The bank file (envelope checked; byte-identical on regeneration; SHA-256 in ``X-File-SHA256``)."""
    principal = principal_of(request)
    tenant = _district(principal)
    async with tenant_transaction(principal.context(request_id_of(request))):
        made = await export.export_batch(tenant, _actor(request), batch_id, layout, encoding)
    return Response(
        content=made.content, media_type=made.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{made.file_name}"',
            "X-File-SHA256": made.sha256,
        },
    )  # fmt: skip


@post("/api/v1/disbursement-batches/{batch_id:uuid}/bank-return", name="api.batches.bank_return",
      guards=[WRITE], tags=TAGS, status_code=200, request_max_body_size=RETURN_LIMIT,
      operation_class=ReturnBody, opt={"problems": (409, 413), "raw_body": True})  # fmt: skip
async def bank_return(request: Req, batch_id: FromPath[UUID]) -> ReconciliationOut:
    """Upload the bank's return file (multipart field ``file``, CSV or XLSX). The same file twice
    applies nothing the second time (``already_uploaded``); bad lines are listed in ``errors``."""
    principal = principal_of(request)
    tenant = _district(principal)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise ValidationFailed({"file": lazy("Choose the bank's return file.")})
    content = await upload.read()
    async with tenant_transaction(principal.context(request_id_of(request))):
        result = await reconcile.upload_return(tenant, _actor(request), batch_id, upload.filename, content)
    return ReconciliationOut(
        return_id=result.return_id, already_uploaded=result.already_uploaded, paid=result.paid,
        failed=result.failed, batch_state=result.batch_state, errors=result.errors,
    )  # fmt: skip


ROUTES = [build_now, list_all, get_one, approve, cancel, bank_file, bank_return]
