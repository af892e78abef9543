"""月报 — the bureau's monthly statistics as an XLSX workbook: one sheet per domain (employment
subsidies, Hong Kong and Macao youth, talent cards), one row per district and the city's total,
Chinese headers, number formats, and counts of people under the city's threshold shown as "<3"
(the small-cell rule: the workbook leaves the bureau).

Built from the rollup cells of the month, so the districts add up to the city. The same figures
give the same bytes (:mod:`renshe.spreadsheets.stable_xlsx`, dated the month's first day): a past
month regenerated is byte-identical while its figures have not changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from renshe.db.tenant import current_transaction
from renshe.rollups import service
from renshe.spreadsheets import stable_xlsx
from renshe.subsidies import calendar

COUNT, YUAN, DAYS = "#,##0", "#,##0.00", "0"


@dataclass(frozen=True, slots=True)
class Column:
    metric: str
    header: str
    kind: str  # count | yuan | days | people (a count of people: the small-cell rule applies)


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    family: str  # employment | hkmo | talent
    columns: tuple[Column, ...]


SHEETS = (
    Sheet("就业创业补贴", "employment", (
        Column("applications", "受理申请（件）", "count"),
        Column("approved", "核准（笔）", "count"),
        Column("approved_fen", "核准金额（元）", "yuan"),
        Column("paid", "发放（笔）", "count"),
        Column("paid_fen", "发放金额（元）", "yuan"),
        Column("failed_payments", "发放失败（笔）", "count"),
        Column("people_served", "新增受益人数", "people"),
        Column("enterprises_served", "新增受益企业数", "count"),
        Column("days_to_pay_p50", "发放用时中位数（天）", "days"),
        Column("days_to_pay_p90", "发放用时90%分位（天）", "days"),
    )),
    Sheet("港澳青年", "hkmo", (
        Column("youth_registered", "新登记港澳青年人数", "people"),
        Column("grants_approved", "核准资助（项）", "count"),
        Column("grants_approved_fen", "核准资助金额（元）", "yuan"),
        Column("paid", "发放（笔）", "count"),
        Column("paid_fen", "发放金额（元）", "yuan"),
        Column("people_served", "新增受益人数", "people"),
        Column("clawbacks", "追回（笔）", "count"),
        Column("clawbacks_fen", "追回金额（元）", "yuan"),
    )),
    Sheet("人才卡", "talent", (
        Column("cards_issued", "发卡人数", "people"),
        Column("cards_active", "其中仍有效", "people"),
        Column("cards_revoked", "撤销人数", "people"),
    )),
)  # fmt: skip


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def _programs(family: str) -> tuple[str, ...]:
    if family == "talent":
        return tuple(f"talent_card:{t}" for t in "ABC")
    rows = await _conn().fetch("SELECT code FROM programs WHERE family = $1 ORDER BY code", family)
    return tuple(r["code"] for r in rows) + (("hkmo_youth",) if family == "hkmo" else ())


async def figures(city_id: Any, month: date) -> list[tuple[Sheet, dict[str, Any]]]:
    """Per sheet, the month's rows by district and the totals, for the city's districts (in the
    open transaction of the city, which reads its subtree)."""
    districts = [
        dict(r)
        for r in await _conn().fetch(
            """SELECT id, code, name_zh FROM org_units
               WHERE parent_id = $1 AND kind = 'district' ORDER BY code""",
            city_id,
        )
    ]
    out = []
    for sheet in SHEETS:
        metrics = tuple(c.metric for c in sheet.columns)
        q = service.Query(month, month, ("district",), metrics, await _programs(sheet.family))
        found = await service.read_districts(districts, q)
        by_code = {r["district"]["code"]: r for r in found["rows"]}
        rows = [by_code.get(d["code"], {"district": {"code": d["code"], "name": d["name_zh"]}})
                for d in districts]  # fmt: skip
        out.append((sheet, {"rows": rows, "totals": found["totals"]}))
    return out


def _cell(column: Column, value: int | None, threshold: int) -> tuple[object, str]:
    """The cell's value and number format; a count of people under ``threshold`` (not 0) is
    the text "<threshold"."""
    if column.kind != "days":
        value = value or 0
    if column.kind == "people" and value and 0 < value < threshold:
        return f"<{threshold}", "@"
    if column.kind == "yuan":
        return Decimal(value or 0) / 100, YUAN
    if column.kind == "days":
        return ("—" if value is None else value), DAYS
    return value, COUNT


def _fill(
    ws: Worksheet, sheet: Sheet, heading: tuple[str, date], data: dict[str, Any], threshold: int
) -> None:
    city, month = heading
    ws.append([f"{city}人力资源和社会保障统计月报（{month.year}年{month.month}月）· {sheet.title}"])
    ws["A1"].font = Font(bold=True, size=13)
    ws.append([f"统计期：{month:%Y-%m}；人数小于 {threshold} 的以“<{threshold}”显示。"])
    ws.append(["区县", "区县代码", *(c.header for c in sheet.columns)])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in data["rows"]:
        ws.append([row["district"]["name"], row["district"]["code"]])
        for i, column in enumerate(sheet.columns, start=3):
            value, number_format = _cell(column, row.get(column.metric), threshold)
            cell = ws.cell(row=ws.max_row, column=i, value=value)
            cell.number_format = number_format
    ws.append(["全市合计", ""])
    total_row = ws.max_row
    for i, column in enumerate(sheet.columns, start=3):
        value, number_format = _cell(column, data["totals"].get(column.metric), threshold)
        cell = ws.cell(row=total_row, column=i, value=value)
        cell.number_format = number_format
    for cell in ws[total_row]:
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 10
    for i in range(len(sheet.columns)):
        ws.column_dimensions[chr(ord("C") + i)].width = 16
    ws.freeze_panes = "C4"


def workbook(city: str, month: date, sheets: list[tuple[Sheet, dict[str, Any]]], threshold: int) -> bytes:
    """The report's bytes: the same figures give the same bytes."""
    wb = Workbook()
    first = True
    for sheet, data in sheets:
        ws = wb.active if first else wb.create_sheet()
        assert isinstance(ws, Worksheet)
        ws.title = sheet.title
        _fill(ws, sheet, (city, month), data, threshold)
        first = False
    stamp = dt.datetime.combine(month, dt.time())
    return stable_xlsx.save(wb, stamp, f"{city}统计月报 {month:%Y-%m}")


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def report_month(business_day: date) -> date | None:
    """The month whose report the night of ``business_day`` writes: the previous month, once the
    first working day of this one has come (None before it)."""
    first = business_day.replace(day=1)
    if business_day < next_working_day_from(first):
        return None
    return (first - dt.timedelta(days=1)).replace(day=1)


def next_working_day_from(day: date) -> date:
    """``day`` itself when it is a working day, else the next one."""
    return day if calendar.is_working_day(day) else calendar.next_working_day(day)


async def write(city_id: Any, month: date, default_threshold: int) -> dict[str, Any]:
    """Write (or rewrite) the month's report of the city, in the open transaction. The small-cell
    threshold is the city's own (``[rollups] small_cell_threshold`` in its tenant file), else the
    installation's default."""
    unit = await _conn().fetchrow(
        "SELECT name_zh, (settings -> 'rollups' ->> 'small_cell_threshold')::int AS threshold"
        " FROM org_units WHERE id = $1",
        city_id,
    )
    city = str(unit["name_zh"]).removesuffix("人力资源和社会保障局")
    threshold = unit["threshold"] or default_threshold
    content = workbook(city, month, await figures(city_id, month), threshold)
    sha = digest(content)
    await _conn().execute(
        """INSERT INTO monthly_reports (tenant_id, month, content, sha256) VALUES ($1, $2, $3, $4)
           ON CONFLICT ON CONSTRAINT monthly_reports_once
           DO UPDATE SET content = excluded.content, sha256 = excluded.sha256, generated_at = now()""",
        city_id, month, content, sha,
    )  # fmt: skip
    return {"month": f"{month:%Y-%m}", "sha256": sha, "bytes": len(content)}


async def exists(city_id: Any, month: date) -> bool:
    found = await _conn().fetchval(
        "SELECT 1 FROM monthly_reports WHERE tenant_id = $1 AND month = $2", city_id, month
    )
    return found is not None


async def listed(city_id: Any) -> list[dict[str, Any]]:
    rows = await _conn().fetch(
        """SELECT month, sha256, octet_length(content) AS size, generated_at FROM monthly_reports
           WHERE tenant_id = $1 ORDER BY month DESC""",
        city_id,
    )
    return [dict(r) for r in rows]


async def content_of(city_id: Any, month: date) -> bytes | None:
    found: bytes | None = await _conn().fetchval(
        "SELECT content FROM monthly_reports WHERE tenant_id = $1 AND month = $2", city_id, month
    )
    return found
