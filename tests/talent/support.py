"""Helpers for the talent-card tests: a district's clerk and reviewer, a registered person and
employer, evidence that meets a tier, and an application walked to "approved"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from renshe import clock
from renshe.accounts.principal import Role
from renshe.registry.service import Caller
from renshe.talent import applications
from tests.subsidies.applications_support import caller, person
from tests.subsidies.pages_support import enterprise

PENGJIANG = "440703"
JIANGHAI = "440704"


def evidence(
    person_id: UUID, employer_id: UUID, *, tier: str = "B", qualifications: tuple[str, ...] = ("doctorate",),
    months: int = 24, contract_end: date | None = None, civil_servant: bool = False,
) -> applications.Evidence:  # fmt: skip
    return applications.Evidence(
        person_id=person_id, employer_id=employer_id, tier_claimed=tier,
        social_insurance_months=months, contract_end=contract_end or clock.today() + timedelta(days=5 * 366),
        qualifications=qualifications, civil_servant=civil_servant,
    )  # fmt: skip


async def parties(code: str = PENGJIANG, name: str = "欧阳小明") -> tuple[UUID, UUID]:
    """A registered person and an employer of district ``code``."""
    return await person(code, name=name), await enterprise(code)


async def staff(code: str = PENGJIANG) -> tuple[Caller, Caller]:
    """A new clerk and a new reviewer of district ``code``."""
    return await caller(code, Role.CLERK), await caller(code, Role.REVIEWER)


async def approved(
    code: str = PENGJIANG, *, tier: str = "B", grant: str | None = None, contract_end: date | None = None,
    name: str = "欧阳小明",
) -> dict[str, Any]:  # fmt: skip
    """An application entered, confirmed, submitted and approved (``grant``: the tier approved)."""
    clerk, reviewer = await staff(code)
    person_id, employer_id = await parties(code, name)
    row = await applications.create(
        clerk, evidence(person_id, employer_id, tier=tier, contract_end=contract_end)
    )
    row = await applications.confirm_employer(clerk, row["id"], row["version"], "人事部 李经理(电话确认)")
    row = await applications.submit(clerk, row["id"], row["version"])
    return await applications.approve(reviewer, row["id"], row["version"], grant or tier, "材料齐全")
