"""Helpers for the Hong Kong and Macao youth tests: a person of a district's registry who holds
Hong Kong documents, and a youth registered for them."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.hkmo import youth
from renshe.registry import people
from renshe.registry.model import BankInput, DocumentInput, PersonInput
from tests.registry.support import TESTER, hkid, home_return_permit, luhn_card, unit_id
from tests.subsidies.applications_support import caller, person

PENGJIANG = "440703"


def born_years_ago(years: int) -> date:
    today = clock.today()
    return date(today.year - years, 1, 1)  # the birthday of this year has passed: ``years`` old


async def hk_person(
    code: str = PENGJIANG, *, born: date | None = None, documents: list[tuple[str, str]] | None = None,
    name: str = "林嘉欣",
) -> UUID:  # fmt: skip
    """A person of district ``code``'s registry with an HKID, a home-return permit and a bank account."""
    tenant = await unit_id(code)
    docs = documents or [("hkid", hkid()), ("home_return_permit", home_return_permit())]
    data = PersonInput(
        name=name, documents=[DocumentInput(t, n) for t, n in docs], residency="hong_kong",
        birth_date=born or born_years_ago(28), bank=BankInput(luhn_card(), name, "中国银行江门分行"),
        confirm_warnings=True,
    )  # fmt: skip
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await people.register_person(tenant, TESTER, data)).id


async def mainland_person(code: str = PENGJIANG) -> UUID:
    """A person with a resident identity card only (no Hong Kong or Macao document)."""
    return await person(code)


async def registered(code: str = PENGJIANG, **changes: Any) -> dict[str, Any]:
    """A youth registered by a new clerk of district ``code``."""
    clerk = await caller(code, Role.CLERK)
    registration = youth.Registration(
        person_id=changes.pop("person_id", None) or await hk_person(code), status="employed",
        reached_via="job_fair", consent=True, school="香港大学", graduated_on=date(2022, 7, 1), **changes,
    )  # fmt: skip
    return await youth.register(clerk, registration)
