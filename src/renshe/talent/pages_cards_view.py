"""What the card page shows of one card (人才卡详情): the card, its issuances, the cards before and
after it, its renewal applications, this year's benefit uses against the tier's quotas, the
renewal window, and which actions the caller may take now. Another district's card is a 404.
"""

from __future__ import annotations

from typing import Any

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.registry.service import Caller
from renshe.talent import benefits, cards, tiers
from renshe.talent.api import verify_url
from renshe.talent.pages_common import common, district


async def _related(tenant_id: Any, card: dict[str, Any]) -> dict[str, Any]:
    conn = current_transaction().connection
    row = await conn.fetchrow(
        """SELECT (SELECT number FROM talent_applications WHERE tenant_id = $1 AND id = $2)
                    AS application_number,
                  (SELECT card_no FROM talent_cards WHERE tenant_id = $1 AND id = $3) AS replaces_card_no,
                  (SELECT card_no FROM talent_cards WHERE tenant_id = $1 AND replaces_card_id = $4)
                    AS replaced_by""",
        tenant_id, card["application_id"], card["replaces_card_id"], card["id"],
    )  # fmt: skip
    renewals = await conn.fetch(
        """SELECT id, number, state, created_at FROM talent_applications
           WHERE tenant_id = $1 AND card_id = $2 AND kind = 'renewal' ORDER BY created_at DESC, id DESC""",
        tenant_id, card["id"],
    )  # fmt: skip
    return {**dict(row), "renewals": [dict(r) for r in renewals]}


async def card_context(c: Caller, card_no: str) -> dict[str, Any]:
    tenant_id = district(c)
    card, issuances, _holder = await cards.get(c, card_no)  # the clear name is for printing only
    today = clock.today()
    uses, counts = await benefits.uses_of(c, card["card_no"], today.year)
    async with tenant_transaction(c.context()):
        policy = await tiers.version(card["tier"], tenant_id, today)
        related = await _related(tenant_id, card)
    terms = policy.terms.card
    assert terms is not None  # a talent_card version always has its card terms
    used = {r["benefit"]: r["used"] for r in counts}
    benefit_rows = [
        {"code": b.code, "name": b.name(), "quota": b.yearly_quota, "used": used.get(b.code, 0)}
        for b in terms.benefits
    ]
    names = {b.code: b.name() for b in terms.benefits}
    p = c.principal
    clerk, reviewer = p.is_district and p.has(Role.CLERK), p.is_district and p.has(Role.REVIEWER)
    active = card["state"] == "active"
    opens = cards.renewal_opens(card, terms.renewal_window_days)
    return {
        **common(c), "card": card, "issuances": issuances, "verify_url": verify_url(card["token"]),
        "uses": [{**u, "name": names.get(u["benefit"], u["benefit"])} for u in uses],
        "benefits": benefit_rows,
        "benefit_options": [(b.code, b.name()) for b in terms.benefits], "year": today.year, "today": today,
        "renewal_opens": opens, "renewal_open": today >= opens, "window_days": terms.renewal_window_days,
        **related,
        "actions": {
            "revoke": (clerk or reviewer) and active,
            "report_loss": clerk and active,
            "renew": clerk and active,
            "record_use": clerk and card["state"] in ("active", "expired"),
        },
    }  # fmt: skip
