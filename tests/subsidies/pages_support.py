"""Helpers for the application page tests: browsers signed in as a district's clerk or reviewer,
forms posted with the CSRF token of the page they are on, beneficiaries registered through the
registry service, and applications moved through the states by the services."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any
from uuid import UUID

import httpx

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import enterprises
from renshe.registry.model import BankInput, EnterpriseInput
from renshe.registry.service import Caller
from renshe.subsidies.applications import service, store
from tests.accounts.support import csrf_from, new_client, signed_in
from tests.registry.support import TESTER, credit_code, luhn_card, unit_id
from tests.subsidies.applications_support import PENGJIANG, RETURNED, STARTUP, person

__all__ = ["PENGJIANG", "RETURNED", "STARTUP", "browser", "enterprise", "person"]

APP_LINK = re.compile(r"/subsidies/applications/([0-9a-f-]{36})")


@asynccontextmanager
async def browser(app: Any, code: str, *roles: Role) -> AsyncIterator[tuple[httpx.AsyncClient, UUID]]:
    """A new browser signed in as a new user of ``code`` with ``roles`` (and that user's id)."""
    async with new_client(app) as client:
        user_id, _name = await signed_in(client, code, *roles)
        yield client, user_id


async def post_from(client: httpx.AsyncClient, page: str, path: str, data: dict[str, Any]) -> httpx.Response:
    """POST ``data`` to ``path`` with the CSRF token of ``page`` (as the form on it would)."""
    shown = await client.get(page)
    assert shown.status_code == 200, (page, shown.status_code)
    return await client.post(path, data={"_csrf": csrf_from(shown.text), **data}, follow_redirects=False)


def version_on(html: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', html)
    assert match, "no version on the page"
    return match.group(1)


async def enterprise(code: str = PENGJIANG, name: str = "江门市页面测试有限公司") -> UUID:
    """A registered enterprise of district ``code`` (Guangdong, a bank account)."""
    tenant = await unit_id(code)
    data = EnterpriseInput(
        name=name,
        uscc=credit_code(code),
        legal_representative="李大明",
        registered_on=date(2024, 3, 1),
        bank=BankInput(luhn_card("4402"), None, "中国银行江门分行"),
        confirm_warnings=True,
    )
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await enterprises.register_enterprise(tenant, TESTER, data)).id


async def draft(code: str = PENGJIANG, *, clerk: Caller | None = None) -> dict[str, Any]:
    """An eligible startup_once draft of a new person, entered by a new clerk (or ``clerk``)."""
    from tests.subsidies.applications_support import caller

    who = clerk or await caller(code, Role.CLERK)
    return await service.create(who, service.Draft(STARTUP, person_id=await person(code), facts=RETURNED))


async def in_notice(code: str = PENGJIANG) -> dict[str, Any]:
    """An approved startup_once award in public notice (clerk and reviewer made here)."""
    from tests.subsidies.applications_support import caller

    clerk = await caller(code, Role.CLERK)
    made = await draft(code, clerk=clerk)
    sent = await service.submit(clerk, made["id"], made["version"])
    return await service.approve(await caller(code, Role.REVIEWER), sent["id"], sent["version"])


# The steps a test takes by hand to stand for the disbursement side (the database refuses a
# jump: 0013_state_machines.sql).
_PATHS = {("in_notice", "payment_failed"): ("ready", "in_batch", "payment_failed")}


async def force_state(application_id: UUID, code: str, state: str) -> None:
    """Move an award by hand along its allowed steps (the disbursement side marks payments failed)."""
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        now = await conn.fetchval("SELECT state FROM applications WHERE id = $1", application_id)
        for step in _PATHS.get((now, state), (state,)):
            await conn.execute(
                "UPDATE applications SET state = $2, version = version + 1 WHERE id = $1",
                application_id,
                step,
            )


async def row(application_id: UUID, code: str = PENGJIANG) -> dict[str, Any]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        return await store.load([tenant], application_id)


async def count_for(person_id: UUID, code: str = PENGJIANG) -> int:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        found: int = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM applications WHERE tenant_id = $1 AND person_id = $2", tenant, person_id
        )
    return found
