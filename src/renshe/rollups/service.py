"""Reading the rollups (汇总查询): the cells of the caller's districts, summed by the groups asked
for, with the processing-time percentiles read from the summed histograms.

A district role reads its own district; a city role every district of its subtree — cells only,
which hold counts and sums, never a person. Every answer says ``as_of``: everything that changed
before it is counted (the oldest change not folded yet, or the moment of the read when none is
pending).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.accounts.principal import Principal
from renshe.db.tenant import current_transaction, tenant_transaction, within
from renshe.errors import ValidationFailed
from renshe.i18n import lazy
from renshe.rollups.facts import OVERFLOW_DAY
from renshe.subsidies.applications.states import STATES

# The metrics a caller may ask for: stored cells summed, or read from the summed histogram.
SUMMED = (
    "applications", "approved", "approved_fen", "paid", "paid_fen", "failed_payments", "people_served",
    "enterprises_served", "cards_issued", "cards_active", "cards_revoked", "youth_registered",
    "grants_approved", "grants_approved_fen", "clawbacks", "clawbacks_fen",
    # filed applications by their state today (drafts are not filed)
    *(f"applications:{state}" for state in STATES if state != "draft"),
)  # fmt: skip
PERCENTILES = {"days_to_pay_p50": 0.5, "days_to_pay_p90": 0.9}
METRICS = (*SUMMED, *PERCENTILES)
DEFAULT_METRICS = ("applications", "approved_fen", "paid_fen", "failed_payments", "people_served",
                   "days_to_pay_p50", "days_to_pay_p90")  # fmt: skip
GROUPS = ("district", "program", "month")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
BAD_MONTH = lazy("Give a month as YYYY-MM, from 2000-01 to 2100-12.")
BAD_RANGE = lazy("The first month must not be after the last, and the range at most 10 years.")
BAD_GROUP = lazy("Group by district, program or month (comma separated).")
BAD_METRIC = lazy("Unknown metric: see the list in the API documentation.")
BAD_DISTRICT = lazy("Unknown district code, or a district you cannot read.")


@dataclass(frozen=True, slots=True)
class Query:
    first: date
    last: date  # the first day of the last month
    groups: tuple[str, ...]
    metrics: tuple[str, ...]
    programs: tuple[str, ...] = ()  # empty: every program
    districts: tuple[str, ...] = ()  # district codes; empty: every district the caller reads


def month_of(raw: str) -> date:
    found = MONTH_RE.match(raw.strip())
    if not found or not (2000 <= int(found[1]) <= 2100 and 1 <= int(found[2]) <= 12):
        raise ValueError(raw)
    return date(int(found[1]), int(found[2]), 1)


def parse(  # noqa: PLR0917 - one parameter per query filter
    start: str | None,
    end: str | None,
    group: str | None,
    metric: str | None,
    program: str | None = None,
    district: str | None = None,
) -> Query:
    """The query's parameters, every unreadable one named at once (422)."""
    errors: dict[str, str] = {}
    today = clock.today().replace(day=1)
    first, last = date(today.year, 1, 1), today
    try:
        first = month_of(start) if start else first
    except ValueError:
        errors["from"] = BAD_MONTH
    try:
        last = month_of(end) if end else last
    except ValueError:
        errors["to"] = BAD_MONTH
    if "from" not in errors and "to" not in errors and (first > last or (last.year - first.year) > 10):
        errors["to"] = BAD_RANGE
    groups = tuple(g for g in (group or "district").replace(" ", "").split(",") if g)
    if any(g not in GROUPS for g in groups) or len(set(groups)) != len(groups):
        errors["group"] = BAD_GROUP
    metrics = tuple(m for m in (metric or ",".join(DEFAULT_METRICS)).replace(" ", "").split(",") if m)
    if not metrics or any(m not in METRICS for m in metrics):
        errors["metric"] = BAD_METRIC
    if errors:
        raise ValidationFailed(errors)
    programs = tuple(p for p in (program or "").replace(" ", "").split(",") if p)
    districts = tuple(d for d in (district or "").replace(" ", "").split(",") if d)
    return Query(first, last, tuple(g for g in GROUPS if g in groups), metrics, programs, districts)


def percentile(histogram: dict[int, int], share: float) -> int | None:
    """The smallest day by which ``share`` of the payments were made (None with no payment);
    366 means "more than a year"."""
    total = sum(histogram.values())
    if total == 0:
        return None
    needed, seen = share * total, 0
    for day in sorted(histogram):
        seen += histogram[day]
        if seen >= needed:
            return day
    return OVERFLOW_DAY


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def districts_of(p: Principal) -> list[dict[str, Any]]:
    """The districts the caller reads, in code order (in the open transaction)."""
    units = p.readable_units if not p.is_district else frozenset({p.org_unit.id})
    rows = await _conn().fetch(
        """SELECT id, code, name_zh, name_en FROM org_units
           WHERE id = ANY($1::uuid[]) AND kind = 'district' ORDER BY code""",
        list(units),
    )
    return [dict(r) for r in rows]


async def as_of(tenant_ids: list[UUID]) -> datetime:
    """Everything that changed before this instant is in the cells of these districts."""
    oldest = await _conn().fetchval(
        "SELECT min(changed_at) FROM rollup_changes WHERE tenant_id = ANY($1::uuid[])", tenant_ids
    )
    now: datetime = await _conn().fetchval("SELECT clock_timestamp()")
    return min(oldest, now) if oldest is not None else now


def _key(row: asyncpg.Record, groups: tuple[str, ...]) -> tuple[Any, ...]:
    column = {"district": "tenant_id", "program": "program_code", "month": "month"}
    return tuple(row[column[g]] for g in groups)


def _figures(sums: dict[str, int], histogram: dict[int, int], metrics: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in metrics:
        out[m] = percentile(histogram, PERCENTILES[m]) if m in PERCENTILES else sums.get(m, 0)
    return out


async def read(p: Principal, q: Query, request_id: str | None = None) -> dict[str, Any]:
    """``{"as_of", "rows": [{"district"?, "program"?, "month"?, <metric>…}], "totals": {…}}`` of
    the districts ``p`` reads."""
    async with tenant_transaction(p.context(request_id)):
        return await read_districts(await districts_of(p), q)


async def read_districts(districts: list[dict[str, Any]], q: Query) -> dict[str, Any]:
    """The same for ``districts`` (``id``, ``code``, ``name_zh``), in the open transaction."""
    if q.districts:
        known = {d["code"] for d in districts}
        if any(code not in known for code in q.districts):
            raise ValidationFailed({"district": BAD_DISTRICT})
        districts = [d for d in districts if d["code"] in q.districts]
    ids = [d["id"] for d in districts]
    unit_sql, unit_arg = within("tenant_id", ids) if ids else ("tenant_id = ANY($1::uuid[])", [])
    wanted = [m for m in q.metrics if m in SUMMED]
    rows = await _conn().fetch(
        f"""SELECT tenant_id, program_code, month, metric, sum(value)::bigint AS value FROM rollup_cells
            WHERE {unit_sql} AND month BETWEEN $2 AND $3
              AND (metric = ANY($4::text[]) OR ($5 AND metric LIKE 'pay\\_days:%'))
              AND (cardinality($6::text[]) = 0 OR program_code = ANY($6::text[]))
            GROUP BY 1, 2, 3, 4""",
        unit_arg, q.first, q.last, wanted, any(m in PERCENTILES for m in q.metrics), list(q.programs),
    )  # fmt: skip
    stamp = await as_of(ids)
    sums: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    days: dict[tuple[Any, ...], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    total_sums: dict[str, int] = defaultdict(int)
    total_days: dict[int, int] = defaultdict(int)
    for r in rows:
        key = _key(r, q.groups)
        metric, value = r["metric"], r["value"]
        if metric.startswith("pay_days:"):
            day = int(metric.split(":", 1)[1])
            days[key][day] += value
            total_days[day] += value
        else:
            sums[key][metric] += value
            total_sums[metric] += value
    names = {d["id"]: {"code": d["code"], "name": d["name_zh"]} for d in districts}
    out_rows = []
    for key in sorted(sums.keys() | days.keys(), key=lambda k: tuple(str(part) for part in k)):
        row: dict[str, Any] = {}
        for g, part in zip(q.groups, key, strict=True):
            row[g] = names.get(part, {"code": "", "name": ""}) if g == "district" else (
                part.strftime("%Y-%m") if g == "month" else part)  # fmt: skip
        out_rows.append(row | _figures(sums.get(key, {}), days.get(key, {}), q.metrics))
    if "district" in q.groups:
        out_rows.sort(key=lambda r: (r["district"]["code"], *(str(r.get(g)) for g in q.groups[1:])))
    return {"as_of": stamp, "rows": out_rows, "totals": _figures(total_sums, total_days, q.metrics)}
