"""Rollups API (汇总): ``GET /api/v1/rollups`` — the cells of the caller's districts summed by
district, program and/or month — and ``GET /api/v1/rollups/targets`` — the year's targets and
progress. District roles read their own district, city roles their subtree; counts and sums only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.params import FromQuery, QueryParameter

from renshe import clock
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import CITY_ROLES, DISTRICT_ROLES
from renshe.hkmo import targets
from renshe.hkmo.api_targets import ProgressOut, Year, progress_out
from renshe.registry.api import caller
from renshe.rollups import service
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
READ = requires_roles(*DISTRICT_ROLES, *CITY_ROLES)
TAGS = ["rollups"]


class RollupsOut(msgspec.Struct):
    as_of: datetime  # everything that changed before this instant is counted
    rows: list[dict[str, Any]]  # {"district": {"code", "name"}?, "program"?, "month"?, <metric>: …}
    totals: dict[str, Any]  # <metric>: … over every row (the percentiles from the summed histogram)


@get("/api/v1/rollups", name="api.rollups", guards=[READ], tags=TAGS, opt={"problems": (422,)})
async def get_rollups(  # noqa: PLR0917 - one parameter per query filter
    request: Req,
    start: Annotated[str | None, QueryParameter(name="from", description="first month, YYYY-MM")] = None,
    end: Annotated[str | None, QueryParameter(name="to", description="last month, YYYY-MM")] = None,
    group: FromQuery[str | None] = None,
    metric: FromQuery[str | None] = None,
    program: FromQuery[str | None] = None,
    district: FromQuery[str | None] = None,
) -> RollupsOut:
    """The rollups from ``from`` to ``to`` (this year so far by default), one row per group
    (``group=district,program,month``, any of them; ``district`` by default) and the totals.

    Metrics (``metric=``, comma separated; the default is the first seven): ``applications``,
    ``approved_fen``, ``paid_fen``, ``failed_payments``, ``people_served`` (counted once per
    program, in the month of the first payment), ``days_to_pay_p50``, ``days_to_pay_p90`` (days
    from submission to payment; 366 = more than a year), ``approved``, ``paid``,
    ``enterprises_served``, ``cards_issued``, ``cards_active``, ``cards_revoked`` (program
    ``talent_card:<tier>``), ``youth_registered`` (program ``hkmo_youth``), ``grants_approved``,
    ``grants_approved_fen``, ``clawbacks``, ``clawbacks_fen``. Filters: ``program=`` and
    ``district=`` (codes, comma separated). 422 names the parameter that cannot be read.
    """
    q = service.parse(start, end, group, metric, program, district)
    found = await service.read(principal_of(request), q, request_id_of(request))
    return RollupsOut(as_of=found["as_of"], rows=found["rows"], totals=found["totals"])


@get("/api/v1/rollups/targets", name="api.rollups.targets", guards=[READ], tags=TAGS)
async def get_targets(request: Req, year: FromQuery[Year | None] = None) -> ProgressOut:
    """The year's targets (Hong Kong and Macao youth), what was achieved and the projection at the
    current rate: a district its own share, a city role the city's and every district's."""
    return progress_out(await targets.progress(caller(request), year or clock.today().year))


ROUTES = [get_rollups, get_targets]
