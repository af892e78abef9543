"""Fraud signals (风险提示) for the reviewer: each appears when its situation exists and not
otherwise; another district's data never shows; the API detail carries them."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db import urls
from renshe.db.tenant import tenant_transaction
from renshe.registry import enterprises, links, people
from renshe.registry.model import BankInput, DocumentInput, EnterpriseInput, PersonInput
from renshe.registry.service import Caller
from renshe.subsidies.applications import service
from renshe.subsidies.applications.signals import AT_CAP_RUN, Signal, signals_for
from renshe.subsidies.programs.sync import sync_catalogue
from tests.registry.support import TESTER, api_headers, credit_code, luhn_card, not_luhn_card, prc_id, unit_id
from tests.registry.support import client as new_client
from tests.subsidies.applications_support import (
    JIANGHAI,
    PENGJIANG,
    RETURNED,
    STARTUP,
    STARTUP_FEN,
    budget_room,
    caller,
    person,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
ON = date(2026, 6, 1)
XINHUI = "440705"  # raw-SQL awards: a district no demo or batch test counts on
HIRING = "startup_hiring"


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None, admin_url: str) -> None:
    await sync_catalogue()
    for code in (PENGJIANG, JIANGHAI):
        await budget_room(admin_url, code, STARTUP, ON.year, 100 * STARTUP_FEN)


async def _draft(code: str, person_id: UUID) -> tuple[Caller, dict[str, Any]]:
    clerk = await caller(code, Role.CLERK)
    return clerk, await service.create(clerk, service.Draft(STARTUP, person_id=person_id, facts=RETURNED))


async def _signals(who: Caller, row: dict[str, Any]) -> dict[str, Signal]:
    async with tenant_transaction(who.context()):
        found = await signals_for(who, row)
    assert len({s.kind for s in found}) == len(found)
    return {s.kind: s for s in found}


# ---------------------------------------------------------------- shared bank account


async def test_an_account_shared_with_an_unrelated_payee_is_flagged_in_this_district_only(
    ready: None,
) -> None:
    account = luhn_card()
    first, second = await person(PENGJIANG, account=account), await person(PENGJIANG, account=account)
    elsewhere = await person(JIANGHAI, account=account)  # the same account in another district
    clerk, app = await _draft(PENGJIANG, first)
    _, second_app = await _draft(PENGJIANG, second)
    _, elsewhere_app = await _draft(JIANGHAI, elsewhere)

    shared = (await _signals(clerk, app))["shared_bank_account"]
    assert shared.details == {"other_payees": 1, "application_ids": [str(second_app["id"])]}
    assert str(elsewhere_app["id"]) not in json.dumps(shared.details)
    assert account not in shared.message and account[-4:] not in shared.message
    assert "1" in shared.message  # how many, in the reviewer's language
    # the other district sees only its own: one holder there, nothing to flag
    assert "shared_bank_account" not in await _signals(await caller(JIANGHAI, Role.CLERK), elsewhere_app)
    # a payee with an account of their own is not flagged
    _, alone = await _draft(PENGJIANG, await person(PENGJIANG))
    assert await _signals(clerk, alone) == {}


async def _register(code: str, account: str) -> UUID:
    tenant = await unit_id(code)
    data = PersonInput(
        name="李伟", documents=[DocumentInput("prc_id", prc_id(code))], residency="mainland",
        bank=BankInput(account, "李伟", "中国农业银行江门分行"), confirm_warnings=True,
    )  # fmt: skip
    async with tenant_transaction((await caller(code, Role.CLERK)).context()):
        return (await people.register_person(tenant, TESTER, data)).id


async def test_linked_payees_sharing_an_account_are_not_flagged(ready: None) -> None:
    """Two founders of one enterprise, and the enterprise itself, may share an account."""
    tenant, account = await unit_id(PENGJIANG), luhn_card()
    founder, partner = await _register(PENGJIANG, account), await _register(PENGJIANG, account)
    clerk = await caller(PENGJIANG, Role.CLERK)
    async with tenant_transaction(clerk.context()):
        company = await enterprises.register_enterprise(
            tenant, TESTER,
            EnterpriseInput("江门市蓬江区合伙科技有限公司", credit_code(PENGJIANG), "李伟",
                            registered_on=date(2025, 3, 1), confirm_warnings=True,
                            bank=BankInput(account, "合伙科技", "中国农业银行")),
        )  # fmt: skip
        for who in (founder, partner):
            await links.link_person(tenant, TESTER, who, company.id, "founder", since=date(2025, 3, 1))
    _, app = await _draft(PENGJIANG, founder)
    assert "shared_bank_account" not in await _signals(clerk, app)
    # a stranger with the same account is: exactly one unrelated payee
    stranger = await _register(PENGJIANG, account)
    shared = (await _signals(clerk, app))["shared_bank_account"]
    assert shared.details["other_payees"] == 1
    _, strangers_app = await _draft(PENGJIANG, stranger)
    assert (await _signals(clerk, strangers_app))["shared_bank_account"].details["other_payees"] == 3


# ---------------------------------------------------------------- account failing its check


async def test_an_account_failing_its_check_that_the_clerk_confirmed_is_flagged(ready: None) -> None:
    account = not_luhn_card()
    clerk, app = await _draft(PENGJIANG, await person(PENGJIANG, account=account))
    flagged = (await _signals(clerk, app))["account_check_failed"]
    # who entered and confirmed it (the registry's audit record), and on which day
    assert flagged.details["confirmed_by_clerk"] is True
    assert flagged.details["confirmed_by"] == "registry_tester"
    assert flagged.details["confirmed_on"] and "registry_tester" in flagged.message
    assert account[-4:] not in flagged.message
    # approved: the frozen payee account is the one checked
    sub = await service.submit(clerk, app["id"], app["version"])
    approved = await service.approve(await caller(PENGJIANG, Role.REVIEWER), sub["id"], sub["version"], on=ON)
    assert "account_check_failed" in await _signals(clerk, approved)
    _, valid = await _draft(PENGJIANG, await person(PENGJIANG, account=luhn_card()))
    assert "account_check_failed" not in await _signals(clerk, valid)


# ---------------------------------------------------------------- same program, other district


async def test_the_same_program_in_another_district_is_flagged_without_saying_where(ready: None) -> None:
    number = prc_id(PENGJIANG)
    here, there = await _register_with(PENGJIANG, number), await _register_with(JIANGHAI, number)
    clerk_b, app_b = await _draft(JIANGHAI, there)
    sub = await service.submit(clerk_b, app_b["id"], app_b["version"])
    approved = await service.approve(await caller(JIANGHAI, Role.REVIEWER), sub["id"], sub["version"], on=ON)

    clerk_a, app_a = await _draft(PENGJIANG, here)
    other = (await _signals(clerk_a, app_a))["same_program_other_district"]
    assert other.details == {"program_code": STARTUP}
    assert "江海" not in other.message and number[-4:] not in other.message
    # the district that approved it is not told about itself
    assert "same_program_other_district" not in await _signals(clerk_b, approved)
    # someone never awarded anywhere else: nothing
    _, plain = await _draft(PENGJIANG, await person(PENGJIANG))
    assert "same_program_other_district" not in await _signals(clerk_a, plain)


async def _register_with(code: str, number: str) -> UUID:
    tenant = await unit_id(code)
    data = PersonInput(
        name="吴秀英", documents=[DocumentInput("prc_id", number)], residency="mainland",
        bank=BankInput(luhn_card(), "吴秀英", "中国建设银行江门分行"), confirm_warnings=True,
    )  # fmt: skip
    async with tenant_transaction((await caller(code, Role.CLERK)).context()):
        return (await people.register_person(tenant, TESTER, data)).id


# ---------------------------------------------------------------- amounts at the cap


async def _award(
    admin_url: str, tenant: UUID, state: str, capped_by: list[str], decided: datetime | None
) -> dict[str, Any]:
    """An award (or, undecided, a submitted application) of the hiring subsidy, written directly."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        version = await conn.fetchval(
            "SELECT id FROM program_versions WHERE program_code = $1 ORDER BY version LIMIT 1", HIRING
        )
        person_id = await conn.fetchval(
            "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, '受益人', 'mainland') RETURNING id",
            tenant,
        )
        evaluation = {"eligible": True, "capped_by": capped_by, "reasons": []}
        if decided is not None:  # an award: its money reserved or paid, as the budget invariant wants
            column = "paid_fen" if state == "paid" else "reserved_fen"
            await conn.execute(
                f"""INSERT INTO budgets (tenant_id, program_code, year, total_fen, {column})
                    VALUES ($1, $2, 2026, 10000000000, 3000000)
                    ON CONFLICT (tenant_id, program_code, year)
                    DO UPDATE SET {column} = budgets.{column} + 3000000""",
                tenant, HIRING,
            )  # fmt: skip
        row = await conn.fetchrow(
            """INSERT INTO applications (tenant_id, id, program_code, policy_version_id, person_id,
                      application_date, evaluation, amount_fen, budget_year, state, decided_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 3000000, 2026, $8, $9) RETURNING *""",
            tenant, uuid.uuid4(), HIRING, version, person_id, ON, json.dumps(evaluation), state, decided,
        )  # fmt: skip
        return dict(row)
    finally:
        await conn.close()


async def test_a_run_of_awards_at_the_maximum_is_flagged(ready: None, admin_url: str) -> None:
    tenant, clerk = await unit_id(XINHUI), await caller(XINHUI, Role.CLERK)
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)  # later than anything else in the district
    runs = [
        await _award(admin_url, tenant, "paid", ["total_cap"], start + timedelta(days=n))
        for n in range(AT_CAP_RUN - 1)
    ]
    current = await _award(admin_url, tenant, "submitted", ["max_units", "total_cap"], None)
    assert "amounts_at_cap" not in await _signals(clerk, current)  # one short of a run

    runs.append(await _award(admin_url, tenant, "on_hold", ["total_cap"], start + timedelta(days=10)))
    flagged = (await _signals(clerk, current))["amounts_at_cap"]
    assert flagged.details == {
        "program_code": HIRING, "run": AT_CAP_RUN, "application_ids": [str(r["id"]) for r in reversed(runs)],
    }  # fmt: skip
    # an award under review that is not at the maximum itself is not flagged
    below = await _award(admin_url, tenant, "submitted", [], None)
    assert "amounts_at_cap" not in await _signals(clerk, below)
    # an award limited only by the beneficiary's own yearly cap breaks the run
    await _award(admin_url, tenant, "on_hold", ["per_year"], start + timedelta(days=20))
    assert "amounts_at_cap" not in await _signals(clerk, current)


# ---------------------------------------------------------------- the API detail


@pytest_asyncio.fixture(loop_scope="session")
async def client(ready: None) -> AsyncIterator[httpx.AsyncClient]:
    from renshe.web.app import create_app

    async with new_client(create_app()) as c:
        yield c


async def test_the_detail_lists_the_signals(client: httpx.AsyncClient) -> None:
    account = luhn_card()
    first = await person(PENGJIANG, account=account)
    await person(PENGJIANG, account=account)
    _, app = await _draft(PENGJIANG, first)
    _, plain = await _draft(PENGJIANG, await person(PENGJIANG))
    reviewer = await api_headers(PENGJIANG, Role.REVIEWER)

    answer = await client.get(f"/api/v1/applications/{app['id']}", headers=reviewer)
    assert answer.status_code == 200, answer.text
    (signal,) = answer.json()["signals"]
    assert signal["kind"] == "shared_bank_account" and signal["details"]["other_payees"] == 1
    assert "收款" in signal["message"]  # Chinese first
    quiet = await client.get(f"/api/v1/applications/{plain['id']}", headers=reviewer)
    assert quiet.json()["signals"] == []
    # another district's application is still a plain 404
    other = await client.get(
        f"/api/v1/applications/{app['id']}", headers=await api_headers(JIANGHAI, Role.REVIEWER)
    )
    assert other.status_code == 404


async def test_the_reviewer_partial_shows_each_message_and_nothing_without_signals() -> None:
    from renshe.web.templating import build_environment

    partial = build_environment().get_template("subsidies/applications/_signals.html")
    shown = partial.render(signals=[Signal("shared_bank_account", "该收款银行账户同时登记在 <b>", {})])
    assert "风险提示" in shown and "该收款银行账户同时登记在 &lt;b&gt;" in shown
    assert partial.render(signals=[]).strip() == ""
