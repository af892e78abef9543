"""Keeping a district's rollup cells current (汇总刷新): the fold and the nightly recomputation.

* :func:`fold` — the district's pending change rows are taken (deleted) in one transaction under
  the district's advisory lock. The deltas among them (filings, decisions, payments) are added to
  their cells; a payee's paid lines (受益人) are added to ``rollup_payee_months`` and move the
  served count where the payee's first month moved; the cells named by the marks (cards, youth,
  grants) are recounted from the district's records (:mod:`renshe.rollups.facts`). A fold run
  twice finds nothing left; a fold killed half-way rolled back and leaves every change row for the
  next. Its cost follows the changes, never the size of the history.
* :func:`recompute` — every payee's paid lines and every cell of the district counted afresh and
  compared with the stored ones (those still pending a fold aside); each differing (month,
  program) becomes an alert for the administrators and is put right by adding the difference.

Both run inside the caller's tenant transaction of the district (a job's).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe.alerts import service as alerts
from renshe.db.tenant import current_transaction
from renshe.rollups.facts import COUNT_ALL, COUNT_PAYEES, COUNT_TOUCHED, DELTA_KEPT

MISMATCH = "rollups.mismatch"
Cell = tuple[date, str, str]  # month, program, metric
Delta = tuple[date, str, str, int]  # month, program, metric, delta
PaidLines = tuple[str, str, UUID, date, int]  # program, served metric, payee, month, lines


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def _lock(tenant_id: UUID) -> None:
    """One fold or recomputation of a district at a time: two would recount one cell from two
    snapshots, and the older could be written last."""
    await _conn().execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('rollups:' || $1::uuid::text, 0))", tenant_id
    )


async def _mark_folded(tenant_id: UUID, *, recomputed: bool = False) -> None:
    await _conn().execute(
        """INSERT INTO rollup_folds (tenant_id, folded_at, recomputed_at)
           VALUES ($1, clock_timestamp(), CASE WHEN $2 THEN clock_timestamp() END)
           ON CONFLICT (tenant_id) DO UPDATE SET folded_at = excluded.folded_at,
             recomputed_at = coalesce(excluded.recomputed_at, rollup_folds.recomputed_at)""",
        tenant_id, recomputed,
    )  # fmt: skip


def _columns(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as columns, for ``unnest`` of one array per column."""
    return [list(column) for column in zip(*rows, strict=True)]


async def _add(tenant_id: UUID, deltas: list[Delta]) -> None:
    """Add ``deltas`` (month, program, metric, delta) to the cells; a cell brought to 0 goes."""
    if not deltas:
        return
    zeroed = await _conn().fetch(
        """INSERT INTO rollup_cells AS c (tenant_id, month, program_code, metric, value)
           SELECT $1, month, program_code, metric, sum(delta)
           FROM unnest($2::date[], $3::text[], $4::text[], $5::bigint[])
                AS d (month, program_code, metric, delta)
           GROUP BY month, program_code, metric HAVING sum(delta) <> 0
           ON CONFLICT (tenant_id, month, program_code, metric) DO UPDATE SET value = c.value + excluded.value
           RETURNING month, program_code, metric, value""",
        tenant_id, *_columns(deltas),
    )  # fmt: skip
    gone = [(r["month"], r["program_code"], r["metric"]) for r in zeroed if r["value"] == 0]
    if gone:
        await _conn().execute(
            """DELETE FROM rollup_cells WHERE tenant_id = $1 AND value = 0
               AND (month, program_code, metric) IN (
                 SELECT * FROM unnest($2::date[], $3::text[], $4::text[]))""",
            tenant_id, *_columns(gone),
        )  # fmt: skip


async def _add_paid_lines(
    tenant_id: UUID, lines: list[PaidLines]
) -> dict[tuple[str, str, UUID], tuple[date | None, date | None]]:
    """Add paid lines (program, served, payee, month, lines) to the payees' months (a month brought
    to 0 goes); per touched payee, the month of their first paid line before and after (None:
    none). One statement reads the touched payees' months and writes them: a fold costs what it
    touches."""
    rows = await _conn().fetch(
        """WITH d AS (
             SELECT program_code, served, payee_id, month, sum(lines) AS lines
             FROM unnest($2::text[], $3::text[], $4::uuid[], $5::date[], $6::bigint[])
                  AS d (program_code, served, payee_id, month, lines)
             GROUP BY 1, 2, 3, 4 HAVING sum(lines) <> 0),
           stored AS (
             SELECT p.program_code, p.served, p.payee_id, p.month, p.paid_lines
             FROM (SELECT DISTINCT program_code, served, payee_id FROM d) k
             JOIN rollup_payee_months p ON p.tenant_id = $1 AND p.program_code = k.program_code
                  AND p.served = k.served AND p.payee_id = k.payee_id),
           months AS (
             SELECT program_code, served, payee_id, month, coalesce(s.paid_lines, 0) AS old,
                    coalesce(s.paid_lines, 0) + coalesce(d.lines, 0) AS new
             FROM stored s FULL JOIN d USING (program_code, served, payee_id, month)),
           written AS (
             INSERT INTO rollup_payee_months AS p
                    (tenant_id, program_code, served, payee_id, month, paid_lines)
             SELECT $1, program_code, served, payee_id, month, lines FROM d
             ON CONFLICT (tenant_id, program_code, served, payee_id, month)
             DO UPDATE SET paid_lines = p.paid_lines + excluded.paid_lines)
           SELECT program_code, served, payee_id, min(month) FILTER (WHERE old > 0) AS before,
                  min(month) FILTER (WHERE new > 0) AS after, bool_or(new = 0) AS emptied
           FROM months GROUP BY 1, 2, 3""",
        tenant_id, *_columns(lines),
    )  # fmt: skip
    emptied = [(r["program_code"], r["served"], r["payee_id"]) for r in rows if r["emptied"]]
    if emptied:
        await _conn().execute(
            """DELETE FROM rollup_payee_months WHERE tenant_id = $1 AND paid_lines = 0
               AND (program_code, served, payee_id) IN (
                 SELECT * FROM unnest($2::text[], $3::text[], $4::uuid[]))""",
            tenant_id, *_columns(emptied),
        )  # fmt: skip
    return {(r["program_code"], r["served"], r["payee_id"]): (r["before"], r["after"]) for r in rows}


async def _serve(tenant_id: UUID, lines: list[PaidLines]) -> list[Delta]:
    """Add the payees' paid lines; the served counts' deltas: a payee whose first month moved
    leaves the old one and counts in the new."""
    if not lines:
        return []
    moved: list[Delta] = []
    for (program, served, _), (before, after) in sorted((await _add_paid_lines(tenant_id, lines)).items()):
        if before != after:
            if before:
                moved.append((before, program, served, -1))
            if after:
                moved.append((after, program, served, 1))
    return moved


async def _recount(tenant_id: UUID, keys: list[tuple[date, str]]) -> None:
    """Recount the recounted metrics of the cells of ``keys`` (month, program) from the records."""
    months, programs = _columns(keys)
    await _conn().execute(
        f"""DELETE FROM rollup_cells WHERE tenant_id = $1 AND NOT {DELTA_KEPT}
            AND (month, program_code) IN (SELECT * FROM unnest($2::date[], $3::text[]))""",
        tenant_id, months, programs,
    )  # fmt: skip
    await _conn().execute(
        f"""INSERT INTO rollup_cells (tenant_id, month, program_code, metric, value)
            SELECT $1, f.month, f.program_code, f.metric, f.value FROM ({COUNT_TOUCHED}) f""",
        tenant_id, months, programs,
    )  # fmt: skip


async def fold(tenant_id: UUID, limit: int | None = None) -> int:
    """Fold the district's pending changes (the oldest ``limit`` of them; all by default: each
    marked cell is then recounted once, however many changes marked it); how many were folded.
    The lock makes this the only fold of the district, so the changes are taken without row locks."""
    await _lock(tenant_id)
    taken = await _conn().fetch(
        """DELETE FROM rollup_changes WHERE tenant_id = $1 AND id IN (
             SELECT id FROM rollup_changes WHERE tenant_id = $1 ORDER BY id LIMIT $2)
           RETURNING month, program_code, metric, delta, payee_id""",
        tenant_id, limit,
    )  # fmt: skip
    deltas = [
        (r["month"], r["program_code"], r["metric"], r["delta"])
        for r in taken
        if r["metric"] and not r["payee_id"]
    ]
    paid_lines = [
        (r["program_code"], r["metric"], r["payee_id"], r["month"], r["delta"])
        for r in taken
        if r["payee_id"]
    ]
    await _add(tenant_id, deltas + await _serve(tenant_id, paid_lines))
    marked = sorted({(r["month"], r["program_code"]) for r in taken if not r["metric"]})
    if marked:
        await _recount(tenant_id, marked)
    await _mark_folded(tenant_id)
    return len(taken)


async def fold_all(tenant_id: UUID) -> int:
    """Fold until nothing is pending (the changes made meanwhile included)."""
    total = 0
    while folded := await fold(tenant_id):
        total += folded
    return total


async def _stored(tenant_id: UUID) -> dict[Cell, int]:
    rows = await _conn().fetch(
        "SELECT month, program_code, metric, value FROM rollup_cells WHERE tenant_id = $1", tenant_id
    )
    return {(r["month"], r["program_code"], r["metric"]): r["value"] for r in rows}


async def counted_afresh(tenant_id: UUID) -> dict[Cell, int]:
    """Every cell of the district counted from its records now (the nightly check's truth)."""
    rows = await _conn().fetch(COUNT_ALL, tenant_id)
    return {(r["month"], r["program_code"], r["metric"]): r["value"] for r in rows}


async def _payee_differences(tenant_id: UUID) -> list[PaidLines]:
    """Each payee month whose stored paid lines differ from a count afresh, as (program, served,
    payee, month, counted − stored); the payees still pending a fold aside."""
    rows = await _conn().fetch(
        f"""SELECT * FROM (
              SELECT program_code, served, payee_id, month,
                     coalesce(f.paid_lines, 0) - coalesce(p.paid_lines, 0) AS difference
              FROM ({COUNT_PAYEES}) f
              FULL JOIN (SELECT * FROM rollup_payee_months WHERE tenant_id = $1) p
                USING (program_code, served, payee_id, month)) d
            WHERE d.difference <> 0
              AND NOT EXISTS (SELECT 1 FROM rollup_changes c WHERE c.tenant_id = $1
                                AND c.payee_id = d.payee_id AND c.program_code = d.program_code)""",
        tenant_id,
    )  # fmt: skip
    return [(r["program_code"], r["served"], r["payee_id"], r["month"], r["difference"]) for r in rows]


async def recompute(tenant_id: UUID, on: date) -> dict[str, Any]:
    """The nightly comparison: fold what is pending, count every payee's paid lines and every cell
    afresh, raise an alert per (month, program) where stored rows differ, and put them right."""
    await fold_all(tenant_id)
    payees = await _payee_differences(tenant_id)
    if payees:
        await _add_paid_lines(tenant_id, payees)  # the served cells are compared below
    fresh, stored = await counted_afresh(tenant_id), await _stored(tenant_id)
    # changed since the fold above: their next fold brings them up to date. A payee's pending
    # paid line may move their served count from any month they were paid in, not only its own
    pending = {
        (r["month"], r["program_code"])
        for r in await _conn().fetch(
            """SELECT month, program_code FROM rollup_changes WHERE tenant_id = $1
               UNION
               SELECT p.month, p.program_code FROM rollup_changes c
               JOIN rollup_payee_months p ON p.tenant_id = c.tenant_id AND p.program_code = c.program_code
                    AND p.served = c.metric AND p.payee_id = c.payee_id
               WHERE c.tenant_id = $1 AND c.payee_id IS NOT NULL""",
            tenant_id,
        )
    }
    differences: dict[tuple[date, str], dict[str, dict[str, int]]] = defaultdict(dict)
    for cell in fresh.keys() | stored.keys():
        month, program, metric = cell
        if (month, program) in pending or fresh.get(cell, 0) == stored.get(cell, 0):
            continue
        differences[(month, program)][metric] = {"stored": stored.get(cell, 0), "counted": fresh.get(cell, 0)}
    payee_months: dict[tuple[date, str], int] = defaultdict(int)
    for program, _, _, month, _ in payees:
        payee_months[(month, program)] += 1
    for month, program in sorted(differences.keys() | payee_months.keys()):
        details = {
            "metrics": differences.get((month, program), {}),
            "payee_months": payee_months[(month, program)],
        }
        await alerts.raise_alert(tenant_id, MISMATCH, f"{month:%Y-%m} {program}", details, on)
    # put right by adding the difference, not by recounting: a change committed since the count
    # is pending, and its fold will add it (a recount might count it twice)
    await _add(
        tenant_id,
        [
            (month, program, metric, values["counted"] - values["stored"])
            for (month, program), metrics in differences.items()
            for metric, values in metrics.items()
        ],
    )
    await _mark_folded(tenant_id, recomputed=True)
    return {"cells": len(fresh), "differences": len(differences.keys() | payee_months.keys())}
