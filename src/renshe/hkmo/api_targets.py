"""HK/MO youth figures API: the targets (``/api/v1/hkmo/targets``) — the city administrator sets a
year's targets with the districts' shares — and the grants' money per district
(``/api/v1/hkmo/balances``). District roles read their own district, city roles the city's and
every district's — counts and amounts only, never a person.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from renshe import clock
from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.api.openapi import rule
from renshe.hkmo import balances, targets
from renshe.registry.api import caller

Req = Request[Any, Any, Any]
READ = requires_roles(Role.CITY_ADMIN, Role.CITY_ANALYST, *targets.DISTRICT_READERS)
CITY_ADMIN = requires_roles(Role.CITY_ADMIN)
TAGS = ["hong kong and macao youth"]
Year = Annotated[int, rule(minimum=2020, maximum=2100)]


class PlanIn(msgspec.Struct):
    """The city's target per metric, and each district's share (district code → metric → target);
    the shares of a metric add up to the city's target."""

    targets: dict[str, int]
    shares: dict[str, dict[str, int]] = msgspec.field(default_factory=dict)


class DistrictProgressOut(msgspec.Struct):
    district_code: str
    district_name: str
    target: int | None
    actual: int
    projection: int  # the year's figure at the current rate


class MetricOut(msgspec.Struct):
    metric: str  # youth_registered | youth_employed_or_founding | startups | loans | amount_paid_fen
    label: str
    target: int | None  # the city's (None for a district reader)
    actual: int
    projection: int
    districts: list[DistrictProgressOut]


class ProgressOut(msgspec.Struct):
    year: int
    as_of: datetime
    metrics: list[MetricOut]


def progress_out(found: dict[str, Any]) -> ProgressOut:
    return ProgressOut(
        year=found["year"], as_of=found["as_of"],
        metrics=[MetricOut(**{**m, "districts": [DistrictProgressOut(**d) for d in m["districts"]]})
                 for m in found["metrics"]],
    )  # fmt: skip


class DistrictBalanceOut(msgspec.Struct):
    district_code: str
    balance: dict[str, int]  # awarded_fen, released_fen, paid_fen, …, outstanding_fen, net_paid_fen


class BalancesOut(msgspec.Struct):
    as_of: datetime
    districts: list[DistrictBalanceOut]
    city: dict[str, int] | None  # the districts' sum, for a city role (None for a district reader)


@get("/api/v1/hkmo/balances", name="api.hkmo.balances", guards=[READ], tags=TAGS)
async def get_balances(request: Req) -> BalancesOut:
    """The grants' money per district, summed from the ledgers as they are now (never stored):
    awarded, released, paid, cancelled, clawed back, recovered, written off, and what each means
    (not released yet, in payment, still to recover). A district reads its own; a city role every
    district and the city's total."""
    found = await balances.of_districts(caller(request))
    return BalancesOut(
        as_of=found["as_of"], city=found["city"],
        districts=[DistrictBalanceOut(d["district_code"], d["balance"]) for d in found["districts"]],
    )  # fmt: skip


@get("/api/v1/hkmo/targets", name="api.hkmo.targets", guards=[READ], tags=TAGS)
async def get_targets(request: Req, year: FromQuery[Year | None] = None) -> ProgressOut:
    """The year's targets (this year by default), progress and projection at the current rate."""
    return progress_out(await targets.progress(caller(request), year or clock.today().year))


@put("/api/v1/hkmo/targets/{year:int}", name="api.hkmo.targets.set", guards=[CITY_ADMIN], tags=TAGS,
     opt={"problems": (422,)})  # fmt: skip
async def set_targets(request: Req, year: FromPath[int], data: JSONBody[PlanIn]) -> ProgressOut:
    """The city administrator's targets for a year with the districts' shares (replacing the
    year's); 422 naming the metric whose shares do not add up to the city's target."""
    plan = targets.Plan(year, dict(data.targets), {k: dict(v) for k, v in data.shares.items()})
    return progress_out(await targets.set_targets(caller(request), plan))


ROUTES = [get_targets, set_targets, get_balances]
