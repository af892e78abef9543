"""The district dashboard's figures (工作台数据), read in the caller's open tenant transaction.

Work queues count what waits for each role (clerk: drafts and failed payments to fix, talent cards
expiring within 30 days; reviewer: submitted applications, awards on hold, approved talent cards to
issue; finance: batches awaiting approval, awaiting the bank's return, reconciled with failures;
HK/MO grants: milestones awaiting evidence or overdue and clawbacks still owed for the clerk,
milestones awaiting a decision for the reviewer).
The district's figures beside the queues come from the rollups (renshe.rollups.views), not from
here: counted once by the folds, never recounted per page view.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import current_transaction
from renshe.hkmo import milestones as hkmo_milestones
from renshe.i18n import lazy
from renshe.talent import listing as talent_listing


@dataclass(frozen=True, slots=True)
class Queue:
    """One work queue (待办): who works it, what it is, where it is worked, how many wait."""

    key: str
    role: Role
    label: str  # msgid
    link: str
    count: int


# (key, role, label, link) — the count comes from the application or batch states below
QUEUE_SPECS: tuple[tuple[str, Role, str, str], ...] = (
    ("draft", Role.CLERK, lazy("Drafts to finish and submit"), "/subsidies/applications?state=draft"),
    ("payment_failed", Role.CLERK, lazy("Failed payments: correct the bank details"),
     "/subsidies/applications?state=payment_failed"),
    ("submitted", Role.REVIEWER, lazy("Applications awaiting review"), "/subsidies/review"),
    ("on_hold", Role.REVIEWER, lazy("Awards on hold after an objection"),
     "/subsidies/applications?state=on_hold"),
    ("built", Role.FINANCE, lazy("Batches awaiting approval"), "/disbursement/batches?state=built"),
    ("exported", Role.FINANCE, lazy("Batches awaiting the bank's return"),
     "/disbursement/batches?state=exported"),
    ("reconciled_failed", Role.FINANCE, lazy("Reconciled batches with failed payments"),
     "/disbursement/batches?state=reconciled&failures=1"),
    ("talent_to_issue", Role.REVIEWER, lazy("Talent cards to issue"), "/talent/review"),
    ("talent_expiring", Role.CLERK, lazy("Talent cards expiring within 30 days"),
     "/talent/cards?state=active&expiring=1"),
    ("hkmo_awaiting_evidence", Role.CLERK, lazy("HK/MO grant milestones awaiting evidence"),
     "/hkmo/milestones?queue=awaiting_evidence"),
    ("hkmo_overdue", Role.CLERK, lazy("HK/MO grant milestones overdue"), "/hkmo/milestones?queue=overdue"),
    ("hkmo_awaiting_decision", Role.REVIEWER, lazy("HK/MO grant milestones awaiting a decision"),
     "/hkmo/milestones?queue=awaiting_decision"),
    ("hkmo_clawbacks_open", Role.CLERK, lazy("HK/MO grant clawbacks still owed"),
     "/hkmo/grants?state=approved"),
)  # fmt: skip


async def queues(tenant_id: UUID) -> list[Queue]:
    """Every queue of the district with its count, in the order of ``QUEUE_SPECS``."""
    conn = current_transaction().connection
    app_rows = await conn.fetch(
        """SELECT state, count(*) AS n FROM applications
           WHERE tenant_id = $1 AND state IN ('draft', 'payment_failed', 'submitted', 'on_hold')
           GROUP BY state""",
        tenant_id,
    )
    batch_rows = await conn.fetch(
        """SELECT state, count(*) AS n FROM disbursement_batches
           WHERE tenant_id = $1 AND state IN ('built', 'exported') GROUP BY state""",
        tenant_id,
    )
    reconciled_failed = await conn.fetchval(
        """SELECT count(*) FROM disbursement_batches b WHERE b.tenant_id = $1 AND b.state = 'reconciled'
           AND EXISTS (SELECT 1 FROM payment_lines l WHERE l.tenant_id = b.tenant_id AND l.batch_id = b.id
                       AND l.state = 'failed')""",
        tenant_id,
    )
    counts = {r["state"]: r["n"] for r in (*app_rows, *batch_rows)}
    counts["reconciled_failed"] = reconciled_failed
    counts.update(await talent_listing.counts(tenant_id, clock.today()))
    counts.update(await hkmo_milestones.dashboard_counts(tenant_id, clock.today()))
    return [Queue(key, role, label, link, counts.get(key, 0)) for key, role, label, link in QUEUE_SPECS]


def own_first(all_queues: list[Queue], roles: frozenset[Role]) -> list[Queue]:
    """The caller's own queues first (a district administrator sees every queue as their own)."""
    if Role.DISTRICT_ADMIN in roles:
        return list(all_queues)
    return sorted(all_queues, key=lambda q: q.role not in roles)
