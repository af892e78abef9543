"""The rollups as the dashboard shows them (汇总看板): the filters read from a page's query, the
headline figures with the change against the previous period of the same length, and the views
by district, by month and by program — each the rows of a table and the options of its chart.

Built from :func:`renshe.rollups.service.read` only: cells, never a person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from renshe import clock
from renshe.accounts.principal import Principal
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.rollups import service, stocks
from renshe.subsidies.applications.states import STATE_LABELS

FAMILIES = {
    "employment": lazy("Employment subsidies"),
    "hkmo": lazy("Hong Kong and Macao youth"),
    "talent": lazy("Talent cards"),
}
HEADLINE = ("applications", "approved_fen", "paid_fen", "people_served", "failed_payments",
            "days_to_pay_p50", "days_to_pay_p90")  # fmt: skip
OTHERS = ("cards_issued", "cards_active", "cards_revoked", "youth_registered", "grants_approved",
          "grants_approved_fen", "clawbacks_fen")  # fmt: skip
LABELS = {
    "applications": lazy("Applications"),
    "approved_fen": lazy("Approved (yuan)"),
    "paid_fen": lazy("Paid (yuan)"),
    "people_served": lazy("People served"),
    "failed_payments": lazy("Failed payments"),
    "days_to_pay_p50": lazy("Days to pay, median"),
    "days_to_pay_p90": lazy("Days to pay, 90th percentile"),
    "cards_issued": lazy("Talent cards issued"),
    "cards_active": lazy("of which still active"),
    "cards_revoked": lazy("Talent cards revoked"),
    "youth_registered": lazy("HK/MO youth registered"),
    "grants_approved": lazy("HK/MO grants approved"),
    "grants_approved_fen": lazy("HK/MO grants approved (yuan)"),
    "clawbacks_fen": lazy("Clawbacks (yuan)"),
}
VIEWS = ("district", "month", "program")
STATE_METRICS = tuple(m for m in service.SUMMED if m.startswith("applications:"))
TABLE_METRICS = ("applications", "approved_fen", "paid_fen", "people_served", "failed_payments",
                 "days_to_pay_p50", "days_to_pay_p90")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Filters:
    first: date
    last: date
    family: str  # "" (all) or a key of FAMILIES
    district: str  # "" (every district the caller reads) or a code
    program: str  # "" or one program code (a drill-down)

    def query(self) -> dict[str, str]:
        """As the page's query string (what a link to the same view carries)."""
        out = {"from": f"{self.first:%Y-%m}", "to": f"{self.last:%Y-%m}"}
        out |= {k: v for k, v in (("family", self.family), ("district", self.district),
                                  ("program", self.program)) if v}  # fmt: skip
        return out


def filters_from(params: Any) -> Filters:
    """The page's filters; a value that cannot be read falls back to the default (this year)."""
    today = clock.today().replace(day=1)
    first, last = date(today.year, 1, 1), today
    try:
        first = service.month_of(params.get("from") or "") if params.get("from") else first
        last = service.month_of(params.get("to") or "") if params.get("to") else last
    except ValueError:
        first, last = date(today.year, 1, 1), today
    if first > last:
        first, last = last, first
    family = params.get("family") or ""
    return Filters(
        first,
        last,
        family if family in FAMILIES else "",
        (params.get("district") or "")[:6],
        (params.get("program") or "")[:60],
    )


def month_choices(f: Filters) -> list[tuple[str, str]]:
    """The months a period can start or end in: five years back (or the period's first month),
    newest first."""
    this_month = clock.today().replace(day=1)
    oldest = min(f.first, this_month.replace(year=this_month.year - 5))
    span = (this_month.year - oldest.year) * 12 + this_month.month - oldest.month
    months = [f"{(oldest.month - 1 + i) // 12 + oldest.year}-{(oldest.month - 1 + i) % 12 + 1:02d}"
              for i in range(span, -1, -1)]  # fmt: skip
    return [(m, m) for m in months]


def previous(f: Filters) -> Filters:
    """The period of the same number of months just before."""
    months = (f.last.year - f.first.year) * 12 + f.last.month - f.first.month + 1
    index = f.first.year * 12 + f.first.month - 1 - months
    first = date(index // 12, index % 12 + 1, 1)
    end = index + months - 1
    return replace(f, first=first, last=date(end // 12, end % 12 + 1, 1))


async def programs_of(p: Principal, f: Filters) -> tuple[tuple[str, ...], dict[str, str]]:
    """The program codes the filters select (empty: all), and every code's name."""
    async with tenant_transaction(p.context()):
        return await _programs(f)


async def _programs(f: Filters) -> tuple[tuple[str, ...], dict[str, str]]:
    rows = await current_transaction().connection.fetch("SELECT code, family, name_zh FROM programs")
    names = {r["code"]: r["name_zh"] for r in rows}
    names |= {f"talent_card:{t}": _("Talent card, tier %(tier)s") % {"tier": t} for t in "ABC"}
    names["hkmo_youth"] = _("HK/MO youth register")
    if f.program:
        return (f.program,), names
    if f.family == "talent":
        return tuple(f"talent_card:{t}" for t in "ABC"), names
    if f.family:
        codes = [r["code"] for r in rows if r["family"] == f.family]
        return tuple(codes + (["hkmo_youth"] if f.family == "hkmo" else [])), names
    return (), names


def _query(
    f: Filters, group: tuple[str, ...], metrics: tuple[str, ...], programs: tuple[str, ...]
) -> service.Query:
    return service.Query(f.first, f.last, group, metrics, programs, (f.district,) if f.district else ())


def change(now: int | None, before: int | None) -> float | None:
    """The relative change, None when there is nothing to compare with."""
    if now is None or not before:
        return None
    return (now - before) / before


async def dashboard(p: Principal, f: Filters, *, states: bool = False) -> dict[str, Any]:
    """Everything the page shows, read in one transaction. A district that is not the caller's
    is dropped from the filters (``filters`` says what was shown). ``states`` adds the
    applications filed in the period by their state today (the district dashboard's table)."""
    async with tenant_transaction(p.context()):
        districts = await service.districts_of(p)
        if f.district and f.district not in {d["code"] for d in districts}:
            f = replace(f, district="")
        programs, names = await _programs(f)
        now = await service.read_districts(districts, _query(f, (), HEADLINE + OTHERS, programs))
        before = await service.read_districts(districts, _query(previous(f), (), HEADLINE, programs))
        views = {}
        # one district shown (a district's own, or a drill-down): no view by district
        for view in ("month", "program") if (p.is_district or f.district) else VIEWS:
            views[view] = await service.read_districts(districts, _query(f, (view,), TABLE_METRICS, programs))
        by_state: dict[str, Any] = {}
        if states:
            found = await service.read_districts(districts, _query(f, (), STATE_METRICS, programs))
            by_state = found["totals"]
        shown = [d["id"] for d in districts if not f.district or d["code"] == f.district]
        today = await stocks.read(shown, clock.today(), f.last.year, programs)
    for row in views.get("program", {}).get("rows", []):
        row["name"] = names.get(row["program"], row["program"])
    tiles = district_tiles(districts, views["district"]) if "district" in views else []
    headline = [
        {"metric": m, "label": _(LABELS[m]), "value": now["totals"][m],
         "change": change(now["totals"][m], before["totals"][m])}
        for m in HEADLINE
    ]  # fmt: skip
    others = [{"metric": m, "label": _(LABELS[m]), "value": now["totals"][m]} for m in OTHERS]
    return {
        "as_of": now["as_of"], "headline": headline, "others": others, "views": views, "names": names,
        "stocks": today, "tiles": tiles,
        "states": [(m.split(":", 1)[1], _(STATE_LABELS[m.split(":", 1)[1]]), n) for m, n in by_state.items()],
        "filters": f, "districts": [] if p.is_district else [(d["code"], d["name_zh"]) for d in districts],
    }  # fmt: skip


def district_tiles(districts: list[dict[str, Any]], found: dict[str, Any]) -> list[dict[str, Any]]:
    """Every district shown (those with nothing counted too, at zero), in code order, with its
    share of the city's payments."""
    rows = {r["district"]["code"]: r for r in found["rows"]}
    city_paid = found["totals"]["paid_fen"] or 0
    nothing: dict[str, Any] = dict.fromkeys(TABLE_METRICS, 0) | {
        "days_to_pay_p50": None,
        "days_to_pay_p90": None,
    }
    out = []
    for d in districts:
        row: dict[str, Any] = (
            rows.get(d["code"]) or {"district": {"code": d["code"], "name": d["name_zh"]}} | nothing
        )
        out.append(row | {"share": row["paid_fen"] / city_paid if city_paid else 0.0})
    return out


def label(view: str, row: dict[str, Any]) -> str:
    """What a view's row is called: the district's name, the month, the program's name."""
    if view == "district":
        return str(row["district"]["name"])
    if view == "program":
        return str(row.get("name") or row["program"])
    return str(row["month"])


def chart(view: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The ECharts options of a view: applications as bars, paid and approved yuan as bars on a
    second axis (a line over months). Plain data: static/js/charts.js draws it."""
    labels = [label(view, r) for r in rows]
    axis_label = {"interval": 0, "rotate": 30 if len(labels) > 7 else 0}
    money = "line" if view == "month" else "bar"
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 56, "right": 64, "bottom": 48, "top": 36},
        "xAxis": {"type": "category", "data": labels, "axisLabel": axis_label},
        "yAxis": [{"type": "value", "name": _("Applications")}, {"type": "value", "name": _("Yuan")}],
        "series": [
            {"name": _("Applications"), "type": "bar", "data": [r["applications"] for r in rows]},
            {"name": _("Approved (yuan)"), "type": money, "yAxisIndex": 1,
             "data": [r["approved_fen"] / 100 for r in rows]},
            {"name": _("Paid (yuan)"), "type": money, "yAxisIndex": 1,
             "data": [r["paid_fen"] / 100 for r in rows]},
        ],
    }  # fmt: skip


def target_chart(progress: dict[str, Any]) -> dict[str, Any] | None:
    """The targets' progress as horizontal bars in per cent of each target (the targets count
    different things; the share is what compares): achieved so far, and projected for the year.
    None when no target is set."""
    rows = []
    for m in progress["metrics"]:
        target = m["target"] if m["target"] is not None else sum(d["target"] or 0 for d in m["districts"])
        if target:
            rows.append(
                (m["label"], round(100 * m["actual"] / target, 1), round(100 * m["projection"] / target, 1))
            )
    if not rows:
        return None
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 32, "bottom": 24, "top": 36, "containLabel": True},
        "xAxis": {"type": "value", "name": "%", "max": max(100, *(max(r[1], r[2]) for r in rows))},
        "yAxis": {"type": "category", "data": [r[0] for r in rows], "inverse": True},
        "series": [
            {"name": _("Achieved, share of the target"), "type": "bar", "data": [r[1] for r in rows]},
            {"name": _("Projected for the year, share of the target"), "type": "bar",
             "data": [r[2] for r in rows]},
        ],
    }  # fmt: skip


def export_rows(view: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """A view's table as a spreadsheet: the group, then each metric — numbers, the yuan with two
    decimals (numeric cells in XLSX)."""
    first = {"district": _("District"), "month": _("Month"), "program": _("Program")}[view]
    header = [first, *(_(LABELS[m]) for m in TABLE_METRICS)]
    out = []
    for r in rows:
        key = label(view, r)
        values = [
            Decimal(r[m]).scaleb(-2) if m.endswith("_fen") else ("" if r[m] is None else r[m])
            for m in TABLE_METRICS
        ]
        out.append([key, *values])
    return header, out
