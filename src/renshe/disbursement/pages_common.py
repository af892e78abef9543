"""Shared pieces of the finance pages (发放批次页面): roles, the caller's district and audit actor,
labels of batch and line states, message translation, the page parameters, the batch detail
context, and the answer to a refused action (the batch page at the refusal's status, saying why)."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.response import Template

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Principal, Role
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.disbursement import browse
from renshe.disbursement.bankfiles import LAYOUTS
from renshe.disbursement.service import Batch, get_batch
from renshe.errors import NotFound
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.pages_common import positive_int
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
WRITE = requires_roles(Role.FINANCE)
READ = requires_roles(Role.FINANCE, Role.DISTRICT_ADMIN)
POLL_SECONDS = 2

BATCH_STATE_LABELS: dict[str, str] = {
    "building": lazy("Building"),
    "built": lazy("Built, awaiting approval"),
    "approved": lazy("Approved"),
    "exported": lazy("Exported, awaiting the bank's return"),
    "reconciled": lazy("Reconciled"),
    "closed": lazy("Closed"),
    "cancelled": lazy("Cancelled"),
}
LINE_STATE_LABELS: dict[str, str] = {
    "pending": lazy("Awaiting the bank"),
    "paid": lazy("Paid"),
    "failed": lazy("Payment failed"),
    "cancelled": lazy("Cancelled"),
}
ORIGIN_LABELS: dict[str, str] = {"nightly": lazy("Nightly"), "manual": lazy("Build now")}
PROBLEM_LABELS: dict[str, str] = {
    "malformed": lazy("Unreadable line"),
    "unmatched": lazy("Not in this batch"),
    "duplicate": lazy("Duplicate reference"),
    "amount_mismatch": lazy("Amount mismatch"),
    "already_resolved": lazy("Already resolved"),
}
DONE: dict[str, str] = {
    "approved": lazy("The batch is approved. The bank file can now be downloaded."),
    "cancelled": lazy("The batch is cancelled; its awards are ready for the next batch again."),
}


def district_of(request: Req) -> tuple[Principal, UUID]:
    """The caller and their district; the finance pages exist only for a district (others: 404)."""
    principal = principal_of(request)
    if not principal.is_district:
        raise NotFound()
    return principal, principal.org_unit.id


def actor_of(request: Req) -> audit.Actor:
    ip = request.client.host if request.client else None
    return actor_for(principal_of(request), Origin(ip=ip, request_id=request_id_of(request)))


def message(msgid: str, params: Mapping[str, object] | None = None) -> str:
    """A service's English msgid in the user's language, with its parameters."""
    text = _(msgid)
    if params:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            text = text % dict(params)
    return text


def labels() -> dict[str, dict[str, str]]:
    return {
        "batch_states": {k: _(v) for k, v in BATCH_STATE_LABELS.items()},
        "line_states": {k: _(v) for k, v in LINE_STATE_LABELS.items()},
        "origins": {k: _(v) for k, v in ORIGIN_LABELS.items()},
        "layouts": {k: _(v.label) for k, v in LAYOUTS.items()},
        "problems": {k: _(v) for k, v in PROBLEM_LABELS.items()},
    }


def download_choices(batch: Batch) -> list[tuple[str, str]]:
    """(value ``layout:encoding``, label) of every bank file the batch can be downloaded as; its own
    layout first (the file whose SHA-256 is recorded)."""
    own = LAYOUTS.get(batch.layout)
    out = [
        (f"{batch.layout}:", _("Own layout: %(layout)s") % {"layout": _(own.label) if own else batch.layout})
    ]
    out += [
        ("generic_csv:utf-8", _("Generic CSV, UTF-8")),
        ("generic_csv:gbk", _("Generic CSV, GBK")),
        ("xlsx:", _("Excel workbook (XLSX)")),
        ("icbc:", _("Commercial bank batch-payment template (CSV, GBK)")),
    ]
    return [c for i, c in enumerate(out) if i == 0 or c[0] != f"{batch.layout}:"]


async def detail_context(
    request: Req, batch_id: UUID, *, page: int = 1, line_state: str | None = None
) -> dict[str, Any]:
    """Everything the batch page shows; raises ``NotFound`` for another district's batch."""
    principal, tenant = district_of(request)
    async with tenant_transaction(principal.context(request_id_of(request))):
        batch = await get_batch(tenant, batch_id)
        context = {
            "batch": batch,
            "created_by_name": await browse.user_name(batch.created_by),
            "approved_by_name": await browse.user_name(batch.approved_by),
            "envelope": await browse.envelope(batch),
            "lines": await browse.line_page(batch, page, line_state),
            "line_state": line_state or "",
            "returns": await browse.returns_of(batch),
            "progress": await browse.build_progress(batch) if batch.state == "building" else None,
        }
    return {
        **context,
        "labels": labels(),
        "downloads": download_choices(batch),
        "can_write": principal.has(Role.FINANCE),
        "is_creator": batch.created_by == principal.user_id,
        "poll_seconds": POLL_SECONDS,
    }


async def detail_page(request: Req, batch_id: UUID) -> Template:
    q = request.query_params
    state = q.get("line_state")
    context = await detail_context(
        request,
        batch_id,
        page=positive_int(q.get("page")),
        line_state=state if state in browse.LINE_STATES else None,
    )
    return Template("disbursement/detail.html", context=context)


async def refused(
    request: Req,
    batch_id: UUID,
    msgid: str,
    params: Mapping[str, object] | None = None,
    status_code: int = 422,
) -> Template:
    """A refused action: the batch page again, at the refusal's status (403, 409, 422), saying why
    in the layout's message area — the one place and look of every message on the page — for this
    answer only: nothing is queued, so neither the next page nor a reload of it repeats it. Another
    district's batch is the same 404 as a missing one (``detail_context`` reads the batch first)."""
    context = await detail_context(request, batch_id)
    context["flashes"] = [("danger", message(msgid, params))]
    return Template("disbursement/detail.html", context=context, status_code=status_code)
