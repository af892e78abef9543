"""The nightly milestone run (里程碑到期): what ``hkmo.milestones`` does for one district and night.

* Tranches of approved grants whose milestone falls due by the morning after the business date
  move ``planned → due`` in one guarded UPDATE (running it twice, or after a crash, moves nothing
  more), with one audit record naming them.
* The clerks' reminder (待办提醒): how many milestones await evidence, how many await a
  reviewer, how many are overdue (due over 30 days ago, no evidence), how many fall due within a
  week — what the job's summary says and what the dashboard's queues list.

Both read partial indexes on the due date (``state = 'planned'`` / ``'due'``), so the night's cost
follows the tranches falling due, not the years of paid and cancelled history.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.hkmo.youth import READERS, WITHHELD, district_of
from renshe.registry.listing import Page
from renshe.registry.masking import mask_name
from renshe.registry.service import Caller

OVERDUE_AFTER_DAYS = 30
SOON_DAYS = 7
AUDITED_IDS = 1000  # the audit record names at most this many tranches (the count is always whole)


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def fall_due(tenant_id: UUID, morning: date) -> list[UUID]:
    # The candidates first, from the partial index: given the ids, the planner knows how few they
    # are and checks each one's grant by its key. In one statement it misjudges them — it sees
    # "planned" and "due by now" as independent, a quarter of a history that is mostly past and
    # paid — and hashes every grant of the district (the night's cost following the history).
    falling = await _conn().fetch(
        "SELECT id FROM hkmo_tranches WHERE tenant_id = $1 AND state = 'planned' AND due_on <= $2",
        tenant_id, morning,
    )  # fmt: skip
    rows = await _conn().fetch(
        """UPDATE hkmo_tranches t SET state = 'due', version = t.version + 1, updated_at = now()
           WHERE t.tenant_id = $1 AND t.id = ANY($2::uuid[]) AND t.state = 'planned'
             AND EXISTS (SELECT 1 FROM hkmo_grants g WHERE g.tenant_id = t.tenant_id AND g.id = t.grant_id
                           AND g.state = 'approved')
           RETURNING t.id""",
        tenant_id, [r["id"] for r in falling],
    )  # fmt: skip
    moved = [r["id"] for r in rows]
    if moved:
        await audit.record(
            tenant_id, audit.SYSTEM, "hkmo_tranches.fell_due", object_type="hkmo_tranche_list",
            after={"count": len(moved), "due_by": morning.isoformat(),
                   "tranche_ids": [str(i) for i in moved[:AUDITED_IDS]]},
        )  # fmt: skip
    return moved


async def queues(tenant_id: UUID, morning: date) -> dict[str, int]:
    """The clerks' and reviewers' work: counts, each statement on one of the two partial indexes
    (an OR across them would read the district's whole history)."""
    due = await _conn().fetchrow(
        """SELECT count(*) FILTER (WHERE evidence_by IS NULL) AS awaiting_evidence,
                  count(*) FILTER (WHERE evidence_by IS NOT NULL) AS awaiting_decision,
                  count(*) FILTER (WHERE evidence_by IS NULL AND due_on < $2) AS overdue
           FROM hkmo_tranches WHERE tenant_id = $1 AND state = 'due'""",
        tenant_id, morning - timedelta(days=OVERDUE_AFTER_DAYS),
    )  # fmt: skip
    soon = await _conn().fetchval(
        """SELECT count(*) FROM hkmo_tranches t
           WHERE t.tenant_id = $1 AND t.state = 'planned' AND t.due_on <= $2
             AND EXISTS (SELECT 1 FROM hkmo_grants g WHERE g.tenant_id = t.tenant_id AND g.id = t.grant_id
                           AND g.state = 'approved')""",
        tenant_id, morning + timedelta(days=SOON_DAYS),
    )  # fmt: skip
    return {**{k: int(due[k]) for k in ("awaiting_evidence", "awaiting_decision", "overdue")},
            "due_within_a_week": int(soon)}  # fmt: skip


async def run(tenant_id: UUID, business_date: date) -> dict[str, Any]:
    morning = business_date + timedelta(days=1)
    moved = await fall_due(tenant_id, morning)
    return {
        "fell_due": len(moved),
        **await queues(tenant_id, morning),
        "business_date": business_date.isoformat(),
    }


QUEUES = ("awaiting_evidence", "awaiting_decision", "overdue", "due_within_a_week")
_QUEUE_WHERE = {
    "awaiting_evidence": "t.state = 'due' AND t.evidence_by IS NULL",
    "awaiting_decision": "t.state = 'due' AND t.evidence_by IS NOT NULL",
    "overdue": "t.state = 'due' AND t.evidence_by IS NULL AND t.due_on < $2",
    "due_within_a_week": "t.state = 'planned' AND t.due_on <= $3 AND g.state = 'approved'",
}


async def queue(
    tenant_id: UUID, which: str, today: date, *, limit: int, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    """One work queue of the district (待办): its size and one page of its tranches, earliest due
    first, each with its grant, program and the youth's name (masked by the caller)."""
    where = _QUEUE_WHERE[which]
    args = (tenant_id, today - timedelta(days=OVERDUE_AFTER_DAYS), today + timedelta(days=SOON_DAYS))
    joined = f"""FROM hkmo_tranches t JOIN hkmo_grants g ON g.tenant_id = t.tenant_id AND g.id = t.grant_id
        JOIN hkmo_youth y ON y.tenant_id = g.tenant_id AND y.id = g.youth_id
        JOIN persons p ON p.tenant_id = y.tenant_id AND p.id = y.person_id
        WHERE t.tenant_id = $1 AND {where}"""
    total = await _conn().fetchval(
        f"SELECT count(*) {joined} AND $2::date IS NOT NULL AND $3::date IS NOT NULL", *args
    )
    rows = await _conn().fetch(
        f"""SELECT t.id, t.seq, t.due_on, t.milestone, t.amount_fen, t.state, t.evidence_met, t.evidence_at,
                   g.id AS grant_id, g.program_code, y.id AS youth_id, p.name AS person_name,
                   y.consent_withdrawn_at
            {joined} AND $2::date IS NOT NULL AND $3::date IS NOT NULL
            ORDER BY t.due_on, t.id LIMIT $4 OFFSET $5""",
        *args, limit, offset,
    )  # fmt: skip
    return int(total), [dict(r) for r in rows]


async def queue_page(
    caller: Caller, which: str, *, number: int = 1, size: int = 50
) -> tuple[dict[str, int], Page[Any]]:
    """The counts of every queue and one page of ``which`` for the caller's district (district
    roles); names masked, withheld after a withdrawal of consent."""
    tenant_id = district_of(caller, *READERS)
    today = clock.today()
    async with tenant_transaction(caller.context()):
        counts = await queues(tenant_id, today)
        total, found = await queue(tenant_id, which, today, limit=size, offset=(number - 1) * size)
    items = []
    for r in found:  # the name masked, withheld after a withdrawal of consent; never in clear
        withdrawn, name = r.pop("consent_withdrawn_at"), r.pop("person_name")
        items.append({**r, "youth_name": WITHHELD if withdrawn else mask_name(name)})
    return counts, Page(items, total, number, size)


async def dashboard_counts(tenant_id: UUID, today: date) -> dict[str, int]:
    """The district dashboard's HK/MO queues, in the open transaction: milestones awaiting the
    clerk's evidence (and those overdue), awaiting a reviewer's decision, clawbacks still owed."""
    counts = await queues(tenant_id, today)
    open_clawbacks = await _conn().fetchval(
        """SELECT count(*) FROM (
             SELECT clawback_id FROM hkmo_ledger WHERE tenant_id = $1 AND clawback_id IS NOT NULL
             GROUP BY clawback_id
             HAVING sum(amount_fen) FILTER (WHERE kind = 'clawback_owed')
                    > coalesce(sum(amount_fen) FILTER (WHERE kind IN ('recovered', 'written_off')), 0)) o""",
        tenant_id,
    )
    return {
        "hkmo_awaiting_evidence": counts["awaiting_evidence"], "hkmo_overdue": counts["overdue"],
        "hkmo_awaiting_decision": counts["awaiting_decision"], "hkmo_clawbacks_open": int(open_clawbacks),
    }  # fmt: skip
