"""The tiers (人才卡类别 A/B/C) as the programs machinery holds them, and how a person is judged.

A tier is a program of family ``talent_card`` (``talent_card_a`` …): its version in force for the
district on the application date gives the facts, the conditions and the card terms (validity,
renewal window, benefits with yearly quotas), district overrides included. Judging reuses
:func:`renshe.subsidies.programs.service.judge_conditions` — the reasons a clerk and a reviewer read
are the subsidies' reasons, in the same words.

Every tier is judged at once, so the reviewer sees which tiers the evidence meets and can approve
a lower one than claimed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe.registry.model import Person
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.card_terms import CardTerms
from renshe.subsidies.programs.facts import validate_facts
from renshe.subsidies.programs.model import BeneficiaryKind, Message
from renshe.subsidies.programs.policy import TALENT_CARD, PolicyVersion

TIERS = ("A", "B", "C")  # A is the highest; 'A' < 'B' < 'C' as text, so "lower tier" is "later letter"
FAMILIES = (TALENT_CARD,)


def program_code(tier: str) -> str:
    return f"talent_card_{tier.lower()}"


def is_lower_or_same(approved: str, claimed: str) -> bool:
    """May a reviewer approve ``approved`` for an application claiming ``claimed``?"""
    return approved in TIERS and approved >= claimed


@dataclass(frozen=True, slots=True)
class TierJudgement:
    tier: str
    version: PolicyVersion
    reasons: tuple[Message, ...]

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def card(self) -> CardTerms:
        assert self.version.terms.card is not None  # a talent_card version always has one
        return self.version.terms.card

    def to_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "reasons": [r.to_json() for r in self.reasons],
            "program_code": self.version.program.code,
            "version_id": str(self.version.version_id) if self.version.version_id else None,
            "validity_years": self.card.validity_years,
        }


async def version(tier: str, tenant_id: UUID, on: date) -> PolicyVersion:
    return await programs.version_in_force(program_code(tier), tenant_id, on, families=FAMILIES)


async def judge(
    tier: str, tenant_id: UUID, person: Person, facts: Mapping[str, Any], on: date
) -> TierJudgement:
    """One tier: facts typed by its version (``ValidationFailed`` naming ``facts.<name>``), then
    every condition it does not meet."""
    policy = await version(tier, tenant_id, on)
    typed = validate_facts(policy.terms.facts, facts, BeneficiaryKind.PERSON)
    reasons = programs.judge_conditions(policy, typed, programs.beneficiary_of_person(person), on_date=on)
    return TierJudgement(tier, policy, reasons)


async def judge_all(
    tenant_id: UUID, person: Person, facts: Mapping[str, Any], on: date
) -> dict[str, TierJudgement]:
    return {t: await judge(t, tenant_id, person, facts, on) for t in TIERS}


def evaluation_json(claimed: str, judged: Mapping[str, TierJudgement]) -> dict[str, Any]:
    """What an application keeps of its last judgement: every tier's reasons, the best one met."""
    met = [t for t in TIERS if judged[t].eligible]
    return {
        "claimed": claimed,
        "best_tier": met[0] if met else None,
        "tiers": {t: j.to_json() for t, j in judged.items()},
    }
