"""Awards made payable by a decision taken elsewhere (直接待发放): a Hong Kong / Macao grant's
tranche whose milestone a reviewer accepted becomes an award born ``ready`` — the grant itself
was judged and approved with maker-checker, so there is no second approval or public notice.

From then on it is an award like every other: the nightly build puts it in a batch, the bank file
pays it, reconciliation marks it paid or failed, a clerk fixes a failed payee. The same guards
apply: the district's budget for the program and year is reserved (409 when it does not fit),
the payee snapshot is frozen and sealed to the award, a once-per-lifetime program is claimed
city-wide (409 when another award holds it), and the award's timeline and audit log record it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe import clock
from renshe.audit.service import Actor
from renshe.registry import citywide
from renshe.subsidies.applications import store


@dataclass(frozen=True, slots=True)
class GrantedAward:
    """What the deciding domain knows of the award it makes payable."""

    program_code: str
    person_id: UUID
    amount_fen: int
    policy_version_id: UUID
    facts: Mapping[str, Any]
    evaluation: Mapping[str, Any] | None
    once_per_lifetime: bool
    comment: str
    asked_by: UUID | None = None  # who asked (the clerk who recorded the milestone), never the decider


async def make_ready(tenant_id: UUID, actor: Actor, award: GrantedAward, on: date) -> dict[str, Any]:
    """Insert the award, ready for the next nightly batch, in the caller's open transaction."""
    award_id = uuid.uuid4()
    beneficiary = {
        "tenant_id": tenant_id,
        "id": award_id,
        "person_id": award.person_id,
        "enterprise_id": None,
    }
    await store.reserve(tenant_id, award.program_code, on.year, award.amount_fen)
    payee = await store.payee_snapshot(beneficiary)
    row = dict(
        await store.conn().fetchrow(
            """INSERT INTO applications (tenant_id, id, program_code, policy_version_id, person_id,
                                         application_date, facts, evaluation, amount_fen, budget_year, state,
                                         payee_name, payee_account_enc, payee_account_masked, payee_bank_name,
                                         ready_on, created_by, decided_by, decided_at, decision_comment,
                                         submitted_by, submitted_at, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'ready', $11, $12, $13, $14, $6, $15, $15,
                       coalesce($16, now()), $17,
                       $18, CASE WHEN $18::uuid IS NOT NULL THEN coalesce($16, now()) END,
                       coalesce($16, now()), coalesce($16, now()))
               RETURNING *""",
            tenant_id, award_id, award.program_code, award.policy_version_id, award.person_id, on,
            json.dumps(dict(award.facts), ensure_ascii=False),
            None if award.evaluation is None else json.dumps(dict(award.evaluation), ensure_ascii=False),
            award.amount_fen, on.year, payee["payee_name"], payee["payee_account_enc"],
            payee["payee_account_masked"], payee["payee_bank_name"], actor.user_id, clock.record_time(),
            award.comment, award.asked_by,
        )
    )  # fmt: skip
    # 409 (AlreadyClaimed) when another award anywhere in the city holds a once-per-lifetime program
    await citywide.claim_program(
        tenant_id, award.person_id, award.program_code, award_id, exclusive=award.once_per_lifetime, on=on
    )
    await store.event(tenant_id, actor, None, row, award.comment)
    return row
