"""区级工作台页面 — ``/dashboard``: the district's work queues (the caller's own first, each with its
count and a link to where it is worked) and the year's totals by program and state, with a year
selector and a CSV/XLSX export. City users see the same totals across their districts, read-only,
with a district column.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar import Response, get
from litestar.response import Template

from renshe import clock, i18n
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import CITY_ROLES, DISTRICT_ROLES, Principal
from renshe.dashboard import service
from renshe.db.tenant import tenant_transaction
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.pages_common import Req, download
from renshe.spreadsheets.writers import format_of
from renshe.spreadsheets.writers import render_off_loop as render_table
from renshe.subsidies.applications.states import STATE_LABELS, STATES
from renshe.web import navigation
from renshe.web.request_context import request_id_of

VIEWERS = requires_roles(*DISTRICT_ROLES, *CITY_ROLES)
HEADERS = (lazy("Program"), lazy("State"), lazy("Count"), lazy("Amount (yuan)"))
DISTRICT_HEADER = lazy("District")


@dataclass(frozen=True, slots=True)
class Row:
    district: str
    program: str
    state: str
    count: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class Figures:
    year: int
    years: list[int]
    rows: list[Row]
    by_state: list[Row]  # program and district empty: one row per state
    total_count: int
    total_fen: int


def _year(raw: str | None) -> int:
    current = clock.today().year
    try:
        year = int(raw or current)
    except ValueError:
        return current
    return year if 2000 <= year <= 2100 else current


def _units(principal: Principal) -> frozenset[UUID]:
    return frozenset({principal.org_unit.id}) if principal.is_district else principal.readable_units


def _name(names: tuple[str, ...], zh: int, en: int) -> str:
    return names[en] if i18n.current_locale.get() == "en" else names[zh]


async def figures(principal: Principal, year: int) -> Figures:
    """The totals table of the caller's district (a city user: every district in reach)."""
    units = _units(principal)
    totals = await service.totals(units, year)
    years = sorted({*await service.years(units), clock.today().year, year}, reverse=True)
    programs = await service.program_names({t.program_code for t in totals})
    districts = await service.district_names(units) if not principal.is_district else {}
    order = {s: i for i, s in enumerate(STATES)}
    district_order = {d: i for i, d in enumerate(districts)}
    totals.sort(key=lambda t: (district_order.get(t.tenant_id, 0), t.program_code, order.get(t.state, 99)))
    states = {k: _(v) for k, v in STATE_LABELS.items()}
    rows = [
        Row(
            _name(districts[t.tenant_id], 1, 2) if t.tenant_id in districts else "",
            _name(programs[t.program_code], 0, 1) if t.program_code in programs else t.program_code,
            states.get(t.state, t.state),
            t.count,
            t.amount_fen,
        )
        for t in totals
    ]
    per_state: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for t in totals:
        per_state[t.state][0] += t.count
        per_state[t.state][1] += t.amount_fen
    by_state = [
        Row("", "", states.get(s, s), n, fen)
        for s, (n, fen) in sorted(per_state.items(), key=lambda i: order.get(i[0], 99))
    ]
    return Figures(
        year, years, rows, by_state, sum(t.count for t in totals), sum(t.amount_fen for t in totals)
    )


@get("/dashboard", name="dashboard", guards=[VIEWERS], include_in_schema=False)
async def dashboard(request: Req) -> Template:
    principal = principal_of(request)
    year = _year(request.query_params.get("year"))
    async with tenant_transaction(principal.context(request_id_of(request))):
        queues = await service.queues(principal.org_unit.id) if principal.is_district else []
        data = await figures(principal, year)
    # only the queues whose page this user can open (the page's guards decide, not a role list)
    handlers = navigation.get_handlers(request.app)
    queues = [q for q in queues if navigation.admits(principal, q.link, handlers)]
    return Template(
        "dashboard/index.html",
        context={
            "queues": service.own_first(queues, principal.roles),
            "own_roles": principal.roles,
            "figures": data,
            "city_view": not principal.is_district,
        },
    )


@get("/dashboard/export", name="dashboard.export", guards=[VIEWERS], include_in_schema=False)
async def dashboard_export(request: Req) -> Response[bytes]:
    """The totals table of one year as CSV or XLSX (counts and amounts only: no personal data)."""
    principal = principal_of(request)
    year = _year(request.query_params.get("year"))
    file_format = format_of(request.query_params.get("format"))
    async with tenant_transaction(principal.context(request_id_of(request))):
        data = await figures(principal, year)
    city = not principal.is_district
    header = [_(h) for h in ((DISTRICT_HEADER, *HEADERS) if city else HEADERS)]
    rows: list[list[Any]] = [
        [
            *([r.district] if city else []),
            r.program,
            r.state,
            r.count,
            f"{r.amount_fen // 100}.{r.amount_fen % 100:02d}",
        ]
        for r in data.rows
    ]
    content = await render_table(file_format, header, rows, _("Totals %(year)s") % {"year": year})
    return download(content, file_format, f"dashboard-totals-{year}")


ROUTES = [dashboard, dashboard_export]
