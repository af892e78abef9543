"""The nightly card sweep (到期清理与续期提醒): what ``talent.sweep`` does for one district and night.

* Cards whose validity ended before the business date become ``expired`` (the verification page
  says "expired" from the day after the last valid day whatever the sweep does — the dates are in
  the token; the sweep keeps lists, counts and the clerks' pages true). The district's list is
  marked changed, so it is republished within a minute.
* Active cards inside their tier's renewal window (30 days by default, per district) are flagged
  with the date they entered it: the clerks' reminder list (续期提醒) reads the flag.

Both are single guarded UPDATEs: running the sweep twice, or after a crash, changes nothing more.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.talent import tiers
from renshe.talent.issuance import CARD_OBJECT


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def expire(tenant_id: UUID, business_date: date) -> list[str]:
    rows = await _conn().fetch(
        """UPDATE talent_cards SET state = 'expired', version = version + 1, updated_at = now()
           WHERE tenant_id = $1 AND state = 'active' AND valid_until < $2
           RETURNING id, card_no, valid_until""",
        tenant_id,
        business_date,
    )
    for r in rows:
        await audit.record(
            tenant_id, audit.SYSTEM, "talent_card.expired", object_type=CARD_OBJECT, object_id=r["id"],
            before={"card_no": r["card_no"], "state": "active"},
            after={"card_no": r["card_no"], "state": "expired", "valid_until": r["valid_until"].isoformat()},
        )  # fmt: skip
    if rows:
        await _conn().execute(
            "UPDATE talent_status_lists SET changed_at = clock_timestamp() WHERE tenant_id = $1", tenant_id
        )
    return [r["card_no"] for r in rows]


async def flag_renewals(tenant_id: UUID, business_date: date) -> int:
    """Flag active cards that entered their tier's renewal window by ``business_date``."""
    flagged = 0
    for tier in tiers.TIERS:
        policy = await tiers.version(tier, tenant_id, business_date)
        assert policy.terms.card is not None
        window = policy.terms.card.renewal_window_days
        status = await _conn().execute(
            """UPDATE talent_cards SET renewal_flagged_on = $3
               WHERE tenant_id = $1 AND tier = $2 AND state = 'active' AND renewal_flagged_on IS NULL
                 AND valid_until <= $4""",
            tenant_id, tier, business_date, business_date + timedelta(days=window),
        )  # fmt: skip
        flagged += int(status.split()[-1])
    return flagged


async def sweep(tenant_id: UUID, business_date: date) -> dict[str, Any]:
    expired = await expire(tenant_id, business_date)
    flagged = await flag_renewals(tenant_id, business_date)
    return {"expired": len(expired), "renewals_flagged": flagged, "business_date": business_date.isoformat()}
