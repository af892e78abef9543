"""区级工作台页面 — ``/dashboard``: the district's work queues (the caller's own first, each with its
count and a link to where it is worked), and beside them the district's rollups for a period —
the headline figures, the charts and tables by month and program, the applications by state,
today's stocks (cards expiring, budgets) — drawn from the rollup cells, with the "as of" time.
City users have the rollups page for this: ``/dashboard`` sends them there.

Thin: the queues come from :mod:`renshe.dashboard.service`, the figures from
:mod:`renshe.rollups.views`.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get
from litestar.response import Redirect, Template

from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import CITY_ROLES, DISTRICT_ROLES
from renshe.dashboard import service
from renshe.db.tenant import tenant_transaction
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.pages_common import Req, download
from renshe.rollups import service as rollups
from renshe.rollups import views
from renshe.spreadsheets.writers import format_of
from renshe.spreadsheets.writers import render_off_loop as render_table
from renshe.subsidies.applications.states import STATE_LABELS
from renshe.web import navigation
from renshe.web.request_context import request_id_of

VIEWERS = requires_roles(*DISTRICT_ROLES, *CITY_ROLES)
HEADERS = (lazy("State"), lazy("Number of applications"))
DISTRICT_HEADER = lazy("District")


@get("/dashboard", name="dashboard", guards=[VIEWERS], include_in_schema=False)
async def dashboard(request: Req) -> Template | Redirect:
    principal = principal_of(request)
    if not principal.is_district:  # the city's dashboard is the rollups page
        return Redirect(f"/rollups{'?' + request.url.query if request.url.query else ''}", status_code=303)
    f = views.filters_from(request.query_params)
    async with tenant_transaction(principal.context(request_id_of(request))):
        queues = await service.queues(principal.org_unit.id)
    data = await views.dashboard(principal, f, states=True)
    # only the queues whose page this user can open (the page's guards decide, not a role list)
    handlers = navigation.get_handlers(request.app)
    queues = [q for q in queues if navigation.admits(principal, q.link, handlers)]
    return Template(
        "dashboard/index.html",
        context={
            "queues": service.own_first(queues, principal.roles),
            "own_roles": principal.roles,
            "flt": f, "data": data, "months": views.month_choices(f),
            "families": [(k, _(v)) for k, v in views.FAMILIES.items()],
            "charts": {v: views.chart(v, d["rows"]) for v, d in data["views"].items()},
            "metrics": views.TABLE_METRICS,
            "metric_columns": [{"label": _(views.LABELS[m]), "num": True} for m in views.TABLE_METRICS],
        },
    )  # fmt: skip


@get("/dashboard/export", name="dashboard.export", guards=[VIEWERS], include_in_schema=False)
async def dashboard_export(request: Req) -> Response[bytes]:
    """The applications filed in the period by their state today, as CSV or XLSX — per district
    for city users. Counts only, from the rollup cells."""
    principal = principal_of(request)
    f = views.filters_from(request.query_params)
    file_format = format_of(request.query_params.get("format"))
    programs, _names = await views.programs_of(principal, f)
    city = not principal.is_district
    query = rollups.Query(f.first, f.last, ("district",) if city else (), views.STATE_METRICS, programs)
    found = await rollups.read(principal, query, request_id_of(request))
    header = [_(h) for h in ((DISTRICT_HEADER, *HEADERS) if city else HEADERS)]
    rows: list[list[Any]] = [
        [*([r["district"]["name"]] if city else []), _(STATE_LABELS[m.split(":", 1)[1]]), r[m]]
        for r in (found["rows"] if city else [found["totals"]])
        for m in views.STATE_METRICS
    ]
    title = _("Applications by state %(first)s to %(last)s") % {
        "first": f"{f.first:%Y-%m}", "last": f"{f.last:%Y-%m}"
    }  # fmt: skip
    content = await render_table(file_format, header, rows, title)
    return download(content, file_format, f"dashboard-states-{f.first:%Y%m}-{f.last:%Y%m}")


ROUTES = [dashboard, dashboard_export]
