"""The nightly ledger check (台账核对): what ``hkmo.check_ledgers`` does for one district and night.

The database already refuses an entry that would break a grant's balance (``hkmo_ledger_balances``)
and carries each tranche along with its award; this check is the second line, for what a
superuser's hand or a future bug could still do: it recomputes every grant's sums and every
payable tranche against its award, and records each breach as an alert (``renshe.alerts``) for
the district's and the city's administrators — naming the grant, never the youth.

One read-only pass over the district's ledger and tranches, then one idempotent insert per breach:
a run twice on the same night adds nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe.alerts import service as alerts
from renshe.db.tenant import current_transaction

BREACHES = """
WITH sums AS (
  SELECT grant_id,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'awarded'), 0) AS awarded,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'released'), 0) AS released,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'cancelled'), 0) AS cancelled,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'paid'), 0) AS paid,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'clawback_owed'), 0) AS owed,
         coalesce(sum(amount_fen) FILTER (WHERE kind IN ('recovered', 'written_off')), 0) AS settled
  FROM hkmo_ledger WHERE tenant_id = $1 GROUP BY grant_id)
SELECT 'hkmo.ledger_unbalanced' AS kind, grant_id, rule, NULL::uuid AS tranche_id FROM sums
CROSS JOIN LATERAL (VALUES
  ('released_or_cancelled_over_awarded', released + cancelled > awarded),
  ('paid_over_released', paid > released),
  ('owed_over_paid', owed > paid),
  ('settled_over_owed', settled > owed)) AS r(rule, broken)
WHERE broken
UNION ALL
SELECT 'hkmo.tranche_not_following_award', t.grant_id, t.state || ' vs ' || a.state, t.id
FROM hkmo_tranches t JOIN applications a ON a.tenant_id = t.tenant_id AND a.id = t.award_id
WHERE t.tenant_id = $1 AND a.state IN ('ready', 'in_batch', 'paid', 'payment_failed') AND t.state <> a.state
UNION ALL
SELECT 'hkmo.paid_tranche_not_in_ledger', t.grant_id, 'paid entries: ' || count(l.id), t.id
FROM hkmo_tranches t
LEFT JOIN hkmo_ledger l ON l.tenant_id = t.tenant_id AND l.tranche_id = t.id AND l.kind = 'paid'
WHERE t.tenant_id = $1 AND t.state = 'paid'
GROUP BY t.grant_id, t.id, t.amount_fen
HAVING count(l.id) <> 1 OR coalesce(sum(l.amount_fen), 0) <> t.amount_fen
"""


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def check(tenant_id: UUID, business_date: date) -> dict[str, Any]:
    """Every breach of the district's ledgers as an alert; how many grants were checked and found."""
    found = await _conn().fetch(BREACHES, tenant_id)
    raised = 0
    for b in found:
        subject = f"grant:{b['grant_id']}" + (f":tranche:{b['tranche_id']}" if b["tranche_id"] else "")
        details = {"grant_id": str(b["grant_id"]), "rule": b["rule"],
                   "tranche_id": str(b["tranche_id"]) if b["tranche_id"] else None}  # fmt: skip
        raised += await alerts.raise_alert(tenant_id, b["kind"], subject, details, business_date)
    grants = await _conn().fetchval(
        "SELECT count(DISTINCT grant_id) FROM hkmo_ledger WHERE tenant_id = $1", tenant_id
    )
    return {"grants": int(grants), "breaches": len(found), "alerts_raised": raised,
            "business_date": business_date.isoformat()}  # fmt: skip
