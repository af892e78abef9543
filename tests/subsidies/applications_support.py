"""Helpers for the application tests: programs synced, a district's clerk and reviewers as
callers, registered beneficiaries with bank accounts, budgets set to a known room."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from renshe.accounts.principal import Role
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import people
from renshe.registry.model import BankInput, DocumentInput, PersonInput
from renshe.registry.service import Caller
from renshe.subsidies import calendar
from renshe.subsidies.applications import service
from renshe.subsidies.applications.store import today
from tests.registry.support import TESTER, luhn_card, prc_id, principal, unit_id

PENGJIANG = "440703"
JIANGHAI = "440704"
STARTUP = "startup_once"
STARTUP_FEN = 1_000_000  # 10,000 yuan
RETURNED = {"returned_overseas_student": True}


async def caller(code: str, *roles: Role) -> Caller:
    return Caller(await principal(code, *roles), request_id="req-applications")


async def person(code: str = PENGJIANG, *, account: str | None = None, name: str = "陈美玲") -> UUID:
    """A registered person of district ``code`` with a bank account."""
    tenant = await unit_id(code)
    data = PersonInput(
        name=name,
        documents=[DocumentInput("prc_id", prc_id(code))],
        residency="mainland",
        bank=BankInput(account or luhn_card(), name, "中国工商银行江门分行"),
        confirm_warnings=True,
    )
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await people.register_person(tenant, TESTER, data)).id


async def submitted(clerk: Caller, code: str = PENGJIANG) -> dict[str, Any]:
    """A new eligible startup_once application, submitted by ``clerk``."""
    draft = await service.create(clerk, service.Draft(STARTUP, person_id=await person(code), facts=RETURNED))
    return await service.submit(clerk, draft["id"], draft["version"])


async def admin_execute(admin_url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def budget_room(admin_url: str, code: str, program: str, year: int, room_fen: int) -> None:
    """Make the district's budget leave exactly ``room_fen`` unreserved (the row exists or is
    created as the service would)."""
    tenant = await unit_id(code)
    await admin_execute(
        admin_url,
        """INSERT INTO budgets (tenant_id, program_code, year, total_fen) VALUES ($1, $2, $3, 0)
           ON CONFLICT (tenant_id, program_code, year) DO NOTHING""",
        tenant, program, year,
    )  # fmt: skip
    await admin_execute(
        admin_url,
        """UPDATE budgets SET total_fen = reserved_fen + paid_fen + $4
           WHERE tenant_id = $1 AND program_code = $2 AND year = $3""",
        tenant, program, year, room_fen,
    )  # fmt: skip


async def budget(code: str, program: str, year: int) -> dict[str, Any]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        row = await current_transaction().connection.fetchrow(
            "SELECT * FROM budgets WHERE tenant_id = $1 AND program_code = $2 AND year = $3",
            tenant, program, year,
        )  # fmt: skip
    return dict(row) if row else {}


def approval_day_in_notice_today() -> date:
    """A recent approval day whose notice window (Pengjiang: 5 working days) includes today."""
    day = today()
    for back in range(1, 15):
        window = calendar.notice_window(day - timedelta(days=back), 5, True)
        if window.starts_on <= day <= window.ends_on:
            return day - timedelta(days=back)
    raise AssertionError("no approval day puts today in a notice window")


async def award_in_notice(name: str = "陈美玲", *, on: date | None = None) -> dict[str, Any]:
    """A startup_once award of Pengjiang to a new person called ``name``, approved ``on``
    (by default a day that puts today inside its notice period)."""
    clerk = await caller(PENGJIANG, Role.CLERK)
    beneficiary = await person(PENGJIANG, name=name)
    draft = await service.create(clerk, service.Draft(STARTUP, person_id=beneficiary, facts=RETURNED))
    sent = await service.submit(clerk, draft["id"], draft["version"])
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    day = on or approval_day_in_notice_today()
    return await service.approve(reviewer, sent["id"], sent["version"], on=day)
