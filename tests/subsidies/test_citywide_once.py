"""Once per lifetime, city-wide (全市一次性): an approved award claims the program for the person in
every district from approval; the claim is released when the award ends unpaid and replaced by a
receipt when it is paid; the receipts of a whole return file are written in one statement."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import batch_lines
from renshe.errors import Conflict
from renshe.registry import citywide, people
from renshe.registry.identifiers import DocumentType
from renshe.registry.masking import mask_document
from renshe.registry.model import BankInput, DocumentInput, PersonInput
from renshe.registry.sealing import DOCUMENTS, document_index, seal
from renshe.registry.service import Caller
from renshe.subsidies.applications import notice, service, store
from renshe.subsidies.programs.eligibility import R_ONCE
from renshe.subsidies.programs.sync import sync_catalogue
from tests.disbursement.awards import YEAR, make_ready, make_user
from tests.registry.support import TESTER, luhn_card, prc_id, unit_id
from tests.subsidies.applications_support import (
    JIANGHAI,
    PENGJIANG,
    RETURNED,
    STARTUP,
    STARTUP_FEN,
    admin_execute,
    budget_room,
    caller,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")
ON = date(2026, 6, 1)  # a Monday
KAIPING, HESHAN, XINHUI = "440783", "440784", "440705"


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None, admin_url: str) -> None:
    await sync_catalogue()
    for code in (PENGJIANG, JIANGHAI, KAIPING, HESHAN):
        await budget_room(admin_url, code, STARTUP, ON.year, 200 * STARTUP_FEN)


async def _person(code: str, number: str) -> UUID:
    """The same resident ID registered in district ``code`` (each district its own record)."""
    tenant = await unit_id(code)
    data = PersonInput(
        name="黄志强", documents=[DocumentInput("prc_id", number)], residency="mainland",
        bank=BankInput(luhn_card(), "黄志强", "中国银行江门分行"), confirm_warnings=True,
    )  # fmt: skip
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await people.register_person(tenant, TESTER, data)).id


async def _draft(clerk: Caller, person_id: UUID) -> dict[str, Any]:
    return await service.create(clerk, service.Draft(STARTUP, person_id=person_id, facts=RETURNED))


async def _submitted(clerk: Caller, person_id: UUID) -> dict[str, Any]:
    draft = await _draft(clerk, person_id)
    assert store.as_json(draft["evaluation"])["eligible"] is True
    return await service.submit(clerk, draft["id"], draft["version"])


def _reasons(row: dict[str, Any]) -> list[str]:
    return [r["msgid"] for r in store.as_json(row["evaluation"])["reasons"]]


async def _claims(admin_url: str, number: str) -> list[dict[str, Any]]:
    index = document_index(DocumentType.PRC_ID, number)
    rows = await admin_execute(
        admin_url,
        "SELECT tenant_id, application_id, exclusive FROM program_claims WHERE document_index = $1",
        index,
    )
    return [dict(r) for r in rows]


async def _receipts(admin_url: str, number: str) -> list[dict[str, Any]]:
    index = document_index(DocumentType.PRC_ID, number)
    rows = await admin_execute(
        admin_url, "SELECT tenant_id, award_ref FROM program_receipts WHERE document_index = $1", index
    )
    return [dict(r) for r in rows]


async def test_approval_in_one_district_makes_the_person_ineligible_in_another_until_released(
    ready: None, admin_url: str
) -> None:
    number = prc_id(PENGJIANG)
    in_a, in_b = await _person(PENGJIANG, number), await _person(JIANGHAI, number)
    clerk_a, reviewer_a = await caller(PENGJIANG, Role.CLERK), await caller(PENGJIANG, Role.REVIEWER)
    clerk_b, reviewer_b = await caller(JIANGHAI, Role.CLERK), await caller(JIANGHAI, Role.REVIEWER)
    waiting_in_b = await _submitted(clerk_b, in_b)  # B's application was already on its way

    award = await service.approve(reviewer_a, (await _submitted(clerk_a, in_a))["id"], 2, on=ON)
    assert award["state"] == "in_notice"  # approved, not paid: the claim already counts
    assert [c["application_id"] for c in await _claims(admin_url, number)] == [award["id"]]

    # B: a new application is judged not eligible, with the once-per-lifetime reason ...
    late = await _draft(clerk_b, in_b)
    assert store.as_json(late["evaluation"])["eligible"] is False and R_ONCE in _reasons(late)
    with pytest.raises(Conflict):
        await service.submit(clerk_b, late["id"], late["version"])
    # ... and the one submitted before A's approval cannot be approved any more
    with pytest.raises(Conflict):
        await service.approve(reviewer_b, waiting_in_b["id"], waiting_in_b["version"], on=ON)

    # an objection upheld in A rejects the award: the claim is released, B may now approve
    objection = await notice.record_objection(
        clerk_a, award["id"], raised_by="群众来电", raised_on=ON + timedelta(days=1), content="并未创业"
    )
    rejected = await notice.resolve_objection(reviewer_a, objection["id"], "upheld", "核实属实")
    assert rejected["state"] == "rejected"
    assert await _claims(admin_url, number) == []
    fresh = await _draft(clerk_b, in_b)
    assert R_ONCE not in _reasons(fresh)
    approved_b = await service.approve(reviewer_b, waiting_in_b["id"], waiting_in_b["version"], on=ON)
    assert approved_b["state"] == "in_notice"
    assert [c["application_id"] for c in await _claims(admin_url, number)] == [approved_b["id"]]


async def test_two_districts_approving_at_the_same_moment_cannot_both_win(
    ready: None, admin_url: str
) -> None:
    number = prc_id(PENGJIANG)
    in_a, in_b = await _person(PENGJIANG, number), await _person(JIANGHAI, number)
    sub_a = await _submitted(await caller(PENGJIANG, Role.CLERK), in_a)
    sub_b = await _submitted(await caller(JIANGHAI, Role.CLERK), in_b)
    reviewer_a, reviewer_b = await caller(PENGJIANG, Role.REVIEWER), await caller(JIANGHAI, Role.REVIEWER)
    outcomes = await asyncio.gather(
        service.approve(reviewer_a, sub_a["id"], sub_a["version"], on=ON),
        service.approve(reviewer_b, sub_b["id"], sub_b["version"], on=ON),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], Conflict), outcomes
    assert [c["application_id"] for c in await _claims(admin_url, number)] == [won[0]["id"]]


async def test_the_database_refuses_a_second_live_claim_of_a_once_per_lifetime_program(
    ready: None, admin_url: str
) -> None:
    """Even code that skips the check cannot claim twice: the unique index answers."""
    number = prc_id(PENGJIANG)
    in_a, in_b = await _person(PENGJIANG, number), await _person(JIANGHAI, number)
    sub_a = await _submitted(await caller(PENGJIANG, Role.CLERK), in_a)
    sub_b = await _submitted(await caller(JIANGHAI, Role.CLERK), in_b)
    a, b = await unit_id(PENGJIANG), await unit_id(JIANGHAI)
    async with tenant_transaction(TenantContext.district(a)):
        assert await citywide.claim_program(a, in_a, STARTUP, sub_a["id"], exclusive=True, on=ON) == 1
        assert await citywide.claim_program(a, in_a, STARTUP, sub_a["id"], exclusive=True, on=ON) == 0
    with pytest.raises(citywide.AlreadyClaimed):
        async with tenant_transaction(TenantContext.district(b)):
            await citywide.claim_program(b, in_b, STARTUP, sub_b["id"], exclusive=True, on=ON)
    # a program that is not once per lifetime may be held by several awards
    async with tenant_transaction(TenantContext.district(b)):
        assert await citywide.claim_program(b, in_b, STARTUP, sub_b["id"], exclusive=False, on=ON) == 1
    # and B, asking the gate, is told yes — nothing more
    async with tenant_transaction(TenantContext.district(b)):
        assert await citywide.has_received_program(b, in_b, STARTUP) is True
        assert await current_transaction().connection.fetchval(
            "SELECT count(*) FROM program_claims WHERE tenant_id = $1", a
        ) == 0  # fmt: skip


async def test_payment_turns_the_claim_into_a_receipt(ready: None, admin_url: str) -> None:
    number = prc_id(KAIPING)
    in_a, in_b = await _person(KAIPING, number), await _person(HESHAN, number)
    tenant = await unit_id(KAIPING)
    clerk = await caller(KAIPING, Role.CLERK)
    award = await service.approve(
        await caller(KAIPING, Role.REVIEWER), (await _submitted(clerk, in_a))["id"], 2, on=ON
    )
    async with tenant_transaction(TenantContext.district(tenant)):
        await notice.close_notices(tenant, award["ready_on"])
    day = award["ready_on"] + timedelta(days=1)
    checker = await make_user(admin_url, tenant)
    result = await build(BuildRequest(tenant, day, "nightly", f"nightly:{day.isoformat()}:once"))
    returns: list[tuple[str, str, str]] = []
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        for batch in result.batches:
            await lifecycle.approve(tenant, checker, UUID(batch))
            await export.export_batch(tenant, checker, UUID(batch))
            lines = await batch_lines(tenant, UUID(batch))
            returns.append((batch, "业务参考号,金额,状态,失败原因\r\n", "".join(
                f"{line['reference']},{line['amount_fen'] // 100}.{line['amount_fen'] % 100:02d},成功,\r\n"
                for line in lines
            )))  # fmt: skip
    assert returns, "the ready award was not put in a batch"
    async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
        for batch, head, body in returns:
            await reconcile.upload_return(
                tenant, checker, UUID(batch), "回盘.csv", (head + body).encode("gbk")
            )
    async with tenant_transaction(TenantContext.district(tenant)):
        assert (await store.load([tenant], award["id"]))["state"] == "paid"

    assert await _claims(admin_url, number) == []  # released by the payment ...
    assert await _receipts(admin_url, number) == [{"tenant_id": tenant, "award_ref": str(award["id"])}]
    late = await _draft(await caller(HESHAN, Role.CLERK), in_b)  # ... which the receipt replaces
    assert R_ONCE in _reasons(late)


async def _give_documents(admin_url: str, tenant: UUID, app_ids: list[UUID]) -> dict[UUID, bytes]:
    """One resident ID (sealed for real) for the person of each award; their blind indexes."""
    persons = {
        r["id"]: r["person_id"]
        for r in await admin_execute(
            admin_url, "SELECT id, person_id FROM applications WHERE id = ANY($1::uuid[])", app_ids
        )
    }
    rows, indexes = [], {}
    for app_id in app_ids:
        number, row_id = prc_id(XINHUI), uuid.uuid4()
        indexes[app_id] = document_index(DocumentType.PRC_ID, number)
        rows.append((
            tenant, row_id, persons[app_id], seal(DOCUMENTS, "number", tenant, row_id, number),
            indexes[app_id], mask_document(DocumentType.PRC_ID, number),
        ))  # fmt: skip
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.executemany(
            """INSERT INTO person_documents (tenant_id, id, person_id, doc_type, number_enc, number_index,
                                             number_masked) VALUES ($1, $2, $3, 'prc_id', $4, $5, $6)""",
            rows,
        )
    finally:
        await conn.close()
    return indexes


async def test_receipts_of_a_big_return_file_are_written_at_once_and_only_once(
    ready: None, admin_url: str
) -> None:
    tenant = await unit_id(XINHUI)
    apps = await make_ready(admin_url, tenant, 240, amount_fen=50_000)
    indexes = await _give_documents(admin_url, tenant, apps)
    paid, unpaid = apps[:200], apps[200:]
    for step in ("in_batch", "paid"):  # the steps the database allows
        await admin_execute(
            admin_url, "UPDATE applications SET state = $2 WHERE id = ANY($1::uuid[])", paid, step
        )
    await admin_execute(  # keep the budget true to the awards: what is paid is no longer reserved
        admin_url,
        """UPDATE budgets SET reserved_fen = reserved_fen - $2, paid_fen = paid_fen + $2
           WHERE tenant_id = $1 AND program_code = $3 AND year = $4""",
        tenant, 200 * 50_000, STARTUP, YEAR,
    )  # fmt: skip
    await admin_execute(
        admin_url, "UPDATE applications SET state = 'on_hold' WHERE id = ANY($1::uuid[])", unpaid
    )
    people = await admin_execute(
        admin_url, "SELECT id, person_id FROM applications WHERE id = ANY($1::uuid[])", paid
    )
    receipts = [citywide.Receipt(r["person_id"], STARTUP, str(r["id"])) for r in people]
    async with tenant_transaction(TenantContext.district(tenant)):  # one statement for them all
        assert await citywide.record_program_receipts(tenant, receipts, date(2026, 3, 9)) == 200
    async with tenant_transaction(TenantContext.district(tenant)):  # the same lines again: nothing
        assert await citywide.record_program_receipts(tenant, receipts, date(2026, 3, 9)) == 0
    rows = await admin_execute(
        admin_url,
        "SELECT award_ref, document_index, program_code, person_id FROM program_receipts WHERE tenant_id = $1"
        " AND award_ref = ANY($2::text[])",
        tenant, [str(a) for a in apps],
    )  # fmt: skip
    assert {(r["award_ref"], bytes(r["document_index"])) for r in rows} == {
        (str(a), indexes[a]) for a in paid
    }
    assert {r["program_code"] for r in rows} == {STARTUP} and all(r["person_id"] for r in rows)
