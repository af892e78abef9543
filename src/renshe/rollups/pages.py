"""汇总看板 — ``/rollups``: the rollups of the caller's districts for a period — headline figures
with the change against the previous period, charts by district, month and program with a table
under each, the targets' progress — filtered by period, program family and district, drilled
down from the city to a district and a program, and exported as CSV or XLSX.

District roles see their own district; city roles their districts. Thin: read the filters, call
:mod:`renshe.rollups.views`, render; the charts are drawn in the browser from plain options
(``static/js/charts.js``, the vendored ECharts), so the CSP stays as it is.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.response import Template

from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import CITY_ROLES, DISTRICT_ROLES
from renshe.errors import Forbidden, ValidationFailed
from renshe.hkmo import targets
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import caller
from renshe.registry.pages_common import download
from renshe.rollups import service, views
from renshe.spreadsheets.writers import format_of
from renshe.spreadsheets.writers import render_off_loop as render_table

Req = Request[Any, Any, Any]
READ = requires_roles(*DISTRICT_ROLES, *CITY_ROLES)
BAD_VIEW = lazy("Choose a view: district, month or program.")


@get("/rollups", name="rollups", guards=[READ], include_in_schema=False)
async def rollups_page(request: Req) -> Template:
    p = principal_of(request)
    data = await views.dashboard(p, views.filters_from(request.query_params))
    f, districts = data["filters"], data["districts"]
    try:  # the targets are for the city's roles and the districts' clerks, reviewers and admins
        progress = await targets.progress(caller(request), min(max(f.last.year, 2020), 2100))
    except Forbidden:
        progress = None
    return Template(
        "rollups/index.html",
        context={
            "flt": f, "data": data, "progress": progress, "city_view": not p.is_district,
            "districts": districts, "months": views.month_choices(f),
            "families": [(k, _(v)) for k, v in views.FAMILIES.items()],
            "charts": {v: views.chart(v, d["rows"]) for v, d in data["views"].items()},
            "target_chart": views.target_chart(progress) if progress else None,
            "district_name": dict(districts).get(f.district, ""),
            "metrics": views.TABLE_METRICS,
            "metric_columns": [{"label": _(views.LABELS[m]), "num": True} for m in views.TABLE_METRICS],
        },
    )  # fmt: skip


@get("/rollups/export", name="rollups.export", guards=[READ], include_in_schema=False)
async def rollups_export(request: Req) -> Response[bytes]:
    """One view's table (by district, month or program) as CSV or XLSX: counts and sums only."""
    p = principal_of(request)
    f = views.filters_from(request.query_params)
    view = request.query_params.get("view") or "district"
    if view not in views.VIEWS:
        raise ValidationFailed({"view": BAD_VIEW})
    programs, names = await views.programs_of(p, f)
    districts = (f.district,) if f.district else ()
    q = service.Query(f.first, f.last, (view,), views.TABLE_METRICS, programs, districts)
    found = await service.read(p, q)
    for row in found["rows"]:
        row["name"] = names.get(row.get("program", ""), row.get("program"))
    header, rows = views.export_rows(view, found["rows"])
    file_format = format_of(request.query_params.get("format"))
    title = _("Rollups %(first)s to %(last)s") % {"first": f"{f.first:%Y-%m}", "last": f"{f.last:%Y-%m}"}
    content = await render_table(file_format, header, rows, title)
    return download(content, file_format, f"rollups-{view}-{f.first:%Y%m}-{f.last:%Y%m}")


ROUTES = [rollups_page, rollups_export]
