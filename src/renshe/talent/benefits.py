"""Benefit uses (人才卡服务使用): a service point records that a card holder used one of the tier's
benefits — a medical green-channel visit, a school-place request — on a date, at a place.

The tier's version in force for the district on that date names the benefits and their yearly
quotas (district overrides included). The quota is the database's to enforce: each use bumps a
counter row of (card, benefit, year) with ``CHECK (used <= quota)`` in the recording transaction,
so two service points recording the last use at the same moment take turns and one is refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.errors import Conflict, ValidationFailed
from renshe.i18n import lazy
from renshe.registry.service import Caller
from renshe.talent import applications, cards, tiers

NOT_A_BENEFIT = lazy("This benefit is not one of the card's tier.")
NOT_VALID_THEN = lazy("The card was not valid on that date.")
QUOTA_USED = lazy("This benefit's yearly quota for the card is used up.")
PLACE_REQUIRED = lazy("Name the service point.")


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def record_use(
    caller: Caller, card_no: str, benefit: str, used_on: date | None, place: str | None
) -> dict[str, Any]:
    """One use of ``benefit``; 409 when the year's quota is used up, 422 for a benefit the tier
    does not grant or a date the card was not valid on."""
    tenant_id = applications.require(caller, Role.CLERK)
    day = used_on or clock.today()
    where = (place or "").strip()
    if not where:
        raise ValidationFailed({"place": PLACE_REQUIRED})
    text_rules.refuse_invisible(place=where)
    async with tenant_transaction(caller.context()):
        card = await cards.load(tenant_id, card_no)
        in_force = card["valid_from"] <= day <= card["valid_until"]
        if card["state"] not in ("active", "expired") or not in_force:
            raise ValidationFailed({"used_on": NOT_VALID_THEN})
        policy = await tiers.version(card["tier"], tenant_id, day)
        assert policy.terms.card is not None
        granted = policy.terms.card.benefit(benefit)
        if granted is None:
            raise ValidationFailed({"benefit": NOT_A_BENEFIT})
        try:
            async with current_transaction().connection.transaction():  # a savepoint: 409, not an abort
                row = await _conn().fetchrow(
                    """INSERT INTO talent_benefit_uses
                         (tenant_id, card_id, benefit, used_on, place, yearly_quota, recorded_by)
                       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
                    tenant_id, card["id"], benefit, day, where[:200], granted.yearly_quota,
                    caller.actor.user_id,
                )  # fmt: skip
        except asyncpg.CheckViolationError as exc:
            if exc.constraint_name == "talent_benefit_quota":
                raise Conflict(QUOTA_USED) from None
            raise
        return dict(row)


async def uses_of(
    caller: Caller, card_no: str, year: int | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the card's uses in ``year``, newest first; per benefit: used and quota)."""
    tenant_id = applications.reading_district(caller)
    on = year or clock.today().year
    async with tenant_transaction(caller.context()):
        card = await cards.load(tenant_id, card_no)
        uses = await _conn().fetch(
            """SELECT benefit, used_on, place, created_at FROM talent_benefit_uses
               WHERE tenant_id = $1 AND card_id = $2 AND extract(year FROM used_on) = $3
               ORDER BY used_on DESC, created_at DESC""",
            tenant_id, card["id"], on,
        )  # fmt: skip
        counts = await _conn().fetch(
            """SELECT benefit, used, quota FROM talent_benefit_counts
               WHERE tenant_id = $1 AND card_id = $2 AND year = $3 ORDER BY benefit""",
            tenant_id, card["id"], on,
        )  # fmt: skip
    return [dict(u) for u in uses], [dict(c) for c in counts]
