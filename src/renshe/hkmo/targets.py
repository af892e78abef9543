"""The city's targets for Hong Kong and Macao youth (目标任务): per year, a target for each metric
with each district's share, entered by the city administrator; progress counted from the districts'
own records and a projection at the current rate.

Metrics: youth registered, youth employed or founding (their status now, of those registered in
the year), start-up grants approved, loans subsidised (interest-subsidy grants approved), amount
paid (the ledgers' ``paid`` entries, in fen). Targets are the city's plan, not anyone's personal
data: the table is city-wide reference data like the programs catalogue (no row security), written
only through :func:`set_targets` (the city administrator, audited). Progress is read under the
caller's row security: a district counts its own records, the city every district's — counts only,
never a person.

The projection at the current rate: the count so far × the days of the year ÷ the days elapsed
(the actual figure once the year is over).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.accounts.principal import OrgUnitRef, Role
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.errors import Forbidden, ValidationFailed
from renshe.i18n import gettext, lazy
from renshe.registry.service import Caller

METRICS = ("youth_registered", "youth_employed_or_founding", "startups", "loans", "amount_paid_fen")
METRIC_LABELS = {
    "youth_registered": lazy("Youth registered"),
    "youth_employed_or_founding": lazy("Youth employed or founding"),
    "startups": lazy("Start-up grants"),
    "loans": lazy("Loans subsidised"),
    "amount_paid_fen": lazy("Amount paid"),
}
DISTRICT_READERS = (Role.CLERK, Role.REVIEWER, Role.DISTRICT_ADMIN)
NOT_A_METRIC = lazy(
    "Unknown target: choose among youth registered, employed or founding, start-ups, loans, amount paid."
)
NOT_NEGATIVE = lazy("A target is a whole number from 0 to 1,000,000,000,000,000.")
MAX_TARGET = 10**15  # far above any city's plan, far below the column's bigint
NOT_A_DISTRICT = lazy("Not a district of this city: %(code)s.")
SHARES_ADD_UP = lazy("The districts' shares of %(metric)s add up to %(sum)s, not the city's %(target)s.")
YEAR_RANGE = lazy("Choose a year from 2020 to 2100.")


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


@dataclass(frozen=True, slots=True)
class Plan:
    """What the city administrator enters for a year: the city's targets and each district's share
    (district code → metric → target)."""

    year: int
    targets: dict[str, int]
    shares: dict[str, dict[str, int]]


def _checked(plan: Plan, districts: Mapping[str, OrgUnitRef]) -> None:
    errors: dict[str, str] = {}
    if not 2020 <= plan.year <= 2100:
        errors["year"] = YEAR_RANGE
    for metric, value in plan.targets.items():
        if metric not in METRICS:
            errors[f"targets.{metric}"] = NOT_A_METRIC
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
            errors[f"targets.{metric}"] = NOT_NEGATIVE
    for code, share in plan.shares.items():
        if code not in districts:
            errors[f"shares.{code}"] = gettext(NOT_A_DISTRICT) % {"code": code}
            continue
        for metric, value in share.items():
            if metric not in METRICS:
                errors[f"shares.{code}.{metric}"] = NOT_A_METRIC
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TARGET:
                errors[f"shares.{code}.{metric}"] = NOT_NEGATIVE
    if not errors and plan.shares:
        for metric, target in plan.targets.items():
            total = sum(share.get(metric, 0) for share in plan.shares.values())
            if total != target:
                label = gettext(METRIC_LABELS[metric])
                errors[f"shares.{metric}"] = gettext(SHARES_ADD_UP) % {
                    "metric": label,
                    "sum": total,
                    "target": target,
                }
    if errors:
        raise ValidationFailed(errors)


def check_reader(caller: Caller) -> None:
    """The city's figures are read by the city's administrators and analysts, and a district's by
    its own staff (403 otherwise)."""
    p = caller.principal
    if not (p.has(Role.CITY_ADMIN, Role.CITY_ANALYST) or (p.is_district and p.has(*DISTRICT_READERS))):
        raise Forbidden()


async def city_of(district: UUID) -> UUID:
    city: UUID = await _conn().fetchval("SELECT parent_id FROM org_units WHERE id = $1", district)
    return city


async def districts_of(city: UUID) -> dict[str, OrgUnitRef]:
    """The city's active districts by code (江门: 440703 蓬江区, 440704 江海区, …), one statement."""
    rows = await _conn().fetch(
        """SELECT id, code, kind, name_zh, name_en FROM org_units
           WHERE parent_id = $1 AND kind = 'district' AND active""",
        city,
    )
    return {r["code"]: OrgUnitRef(**r) for r in rows}


async def shown_to(caller: Caller) -> dict[str, OrgUnitRef]:
    """The districts whose figures ``caller`` reads: a district's staff their own district
    (whatever the city lists), a city role every district of the city."""
    p = caller.principal
    return {p.org_unit.code: p.org_unit} if p.is_district else await districts_of(p.org_unit.id)


async def set_targets(caller: Caller, plan: Plan) -> dict[str, Any]:
    """The city administrator's targets for a year, replacing what the year had (audited)."""
    p = caller.principal
    if p.is_district or not p.has(Role.CITY_ADMIN):
        raise Forbidden()
    city = p.org_unit.id
    async with tenant_transaction(caller.context()):
        districts = await districts_of(city)
        _checked(plan, districts)
        await _conn().execute("DELETE FROM hkmo_targets WHERE city_id = $1 AND year = $2", city, plan.year)
        rows = [(city, plan.year, m, None, v) for m, v in plan.targets.items()] + [
            (city, plan.year, m, districts[code].id, v)
            for code, share in plan.shares.items()
            for m, v in share.items()
        ]
        await _conn().executemany(
            """INSERT INTO hkmo_targets (city_id, year, metric, district_id, target, set_by)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            [(*r, caller.actor.user_id) for r in rows],
        )
        await audit.record(city, caller.actor, "hkmo_targets.set", object_type="hkmo_targets",
                           object_id=str(plan.year),
                           after={"targets": plan.targets, "shares": plan.shares})  # fmt: skip
    return await progress(caller, plan.year)


async def _actuals(units: list[UUID], year: int) -> dict[tuple[UUID, str], int]:
    """Each district's count of each metric for the year, under the caller's row security."""
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    rows = await _conn().fetch(
        """SELECT tenant_id, 'youth_registered' AS metric, count(*) AS n FROM hkmo_youth
             WHERE tenant_id = ANY($1::uuid[]) AND registered_on >= $2 AND registered_on < $3
             GROUP BY tenant_id
           UNION ALL
           SELECT tenant_id, 'youth_employed_or_founding', count(*) FROM hkmo_youth
             WHERE tenant_id = ANY($1::uuid[]) AND registered_on >= $2 AND registered_on < $3
               AND status IN ('employed', 'self_employed', 'founder') GROUP BY tenant_id
           UNION ALL
           SELECT tenant_id, CASE program_code WHEN 'hkmo_startup' THEN 'startups' ELSE 'loans' END, count(*)
             FROM hkmo_grants WHERE tenant_id = ANY($1::uuid[]) AND state = 'approved'
               AND program_code IN ('hkmo_startup', 'hkmo_loan_interest')
               AND decided_at >= $2 AND decided_at < $3 GROUP BY tenant_id, program_code
           UNION ALL
           SELECT tenant_id, 'amount_paid_fen', sum(amount_fen)::bigint FROM hkmo_ledger
             WHERE tenant_id = ANY($1::uuid[]) AND kind = 'paid' AND at >= $2 AND at < $3
             GROUP BY tenant_id""",
        units, start, end,
    )  # fmt: skip
    return {(r["tenant_id"], r["metric"]): int(r["n"]) for r in rows}


def projected(actual: int, year: int, today: date) -> int:
    """The year's figure at the current rate (the actual once the year is over; none before it starts)."""
    if today.year > year:
        return actual
    if today.year < year:
        return 0
    elapsed = (today - date(year, 1, 1)).days + 1
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    return actual * days // elapsed


async def progress(caller: Caller, year: int) -> dict[str, Any]:
    """The year's targets, what was achieved and the projection: for a district its own share; for
    the city the city's targets and every district's share."""
    p = caller.principal
    check_reader(caller)
    if not 2020 <= year <= 2100:
        raise ValidationFailed({"year": YEAR_RANGE})
    today = clock.today()
    async with tenant_transaction(caller.context()):
        city = await city_of(p.org_unit.id) if p.is_district else p.org_unit.id
        shown = await shown_to(caller)
        targets = await _conn().fetch(
            "SELECT metric, district_id, target FROM hkmo_targets WHERE city_id = $1 AND year = $2",
            city,
            year,
        )
        actual = await _actuals([d.id for d in shown.values()], year)
    target_of = {(t["district_id"], t["metric"]): t["target"] for t in targets}
    metrics = []
    for metric in METRICS:
        per_district: list[dict[str, Any]] = []
        for code, unit in sorted(shown.items()):
            done = actual.get((unit.id, metric), 0)
            per_district.append({
                "district_code": code, "district_name": unit.name_zh,
                "target": target_of.get((unit.id, metric)), "actual": done,
                "projection": projected(done, year, today),
            })  # fmt: skip
        total = sum(int(d["actual"]) for d in per_district)
        metrics.append({
            "metric": metric, "label": gettext(METRIC_LABELS[metric]),
            "target": None if p.is_district else target_of.get((None, metric)),
            "actual": total, "projection": projected(total, year, today), "districts": per_district,
        })  # fmt: skip
    return {"year": year, "as_of": clock.now(), "metrics": metrics}
