"""The auditor's pages (审计日志): the filtered list with each record's details, and a CSV export.

Only the ``auditor`` role reads the audit log (三员分立); every other role gets 403.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Principal, Role
from renshe.audit import reader
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
AUDITOR_ONLY = requires_roles(Role.AUDITOR)
CSV_COLUMNS = (
    "org_unit", "seq", "at", "actor_username", "actor_role", "action", "object_type",
    "object_id", "object_number", "before", "after", "request_id", "ip",
)  # fmt: skip
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _principal(request: Req) -> Principal:
    return request.scope["principal"]  # type: ignore[typeddict-item]


def _params(request: Req) -> dict[str, str | None]:
    return {k: request.query_params.get(k) for k in request.query_params}


@get("/audit", name="audit.list", guards=[AUDITOR_ONLY], include_in_schema=False)
async def audit_page(request: Req) -> Template:
    p = _principal(request)
    params = _params(request)
    flt = reader.AuditFilter.parse(params)
    async with tenant_transaction(p.context(request_id_of(request))):
        page = await reader.search(p.readable_units, flt, cursor=params.get("cursor"))
    return Template("audit/list.html", context={"page": page, "filters": flt, "params": flt.as_params()})


def _cell(value: Any) -> str:
    """A spreadsheet must not run what a user typed: a leading formula character is quoted."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


@get("/audit/export.csv", name="audit.export", guards=[AUDITOR_ONLY], include_in_schema=False)
async def audit_export(request: Req) -> Response[bytes]:
    """The filtered records as CSV (UTF-8 with BOM, for Excel), newest first, at most 10,000."""
    p = _principal(request)
    flt = reader.AuditFilter.parse(_params(request))
    origin = Origin(ip=request.client.host if request.client else None, request_id=request_id_of(request))
    async with tenant_transaction(p.context(origin.request_id)):
        page = await reader.search(p.readable_units, flt, limit=reader.EXPORT_LIMIT)
        # Exporting the log is itself recorded, in the auditor's own unit.
        await audit.record(p.org_unit.id, actor_for(p, origin), "audit.exported",
                           object_type="audit_log", after={"filters": flt.as_params(),
                                                           "rows": len(page.entries)})  # fmt: skip
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in page.entries:
        writer.writerow([_cell(v) for v in (
            e.unit_code, e.seq, e.at.isoformat(), e.actor_username, e.actor_role, e.action,
            e.object_type, e.object_id, e.object_number, e.before_json.replace("\n", " "),
            e.after_json.replace("\n", " "), e.request_id, e.ip,
        )])  # fmt: skip
    return Response(
        content=("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


ROUTES = [audit_page, audit_export]
