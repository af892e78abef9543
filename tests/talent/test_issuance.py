"""Issuing cards (issue 10 §3): "issue now" and the nightly run issue every approval once, number it
``QD`` + district + year + sequence + check character, gapless under several issuers at once, with
a validity that never runs past the contract, a token that verifies under the published key, and
the district's status list published."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe import clock
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import nightly, runner
from renshe.jobs import service as job_service
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import issuance, nightly_issue, publishing, signing_keys, tasks
from renshe.talent.card_numbers import parse_card_number
from renshe.talent.verification import Verdict, check
from tests.registry.support import unit_id
from tests.talent.bulk import make_approved, sequences
from tests.talent.support import PENGJIANG, approved

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None) -> None:
    await sync_catalogue()


async def cards_of(tenant: UUID, application_ids: list[UUID]) -> list[dict]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            "SELECT * FROM talent_cards WHERE tenant_id = $1 AND application_id = ANY($2::uuid[])",
            tenant,
            application_ids,
        )
    return [dict(r) for r in rows]


async def issue_now(tenant: UUID, on: date | None = None, worker: str = "w1") -> dict:
    async with tenant_transaction(TenantContext.district(tenant)):
        job = await tasks.request_issue(tenant, None, on or clock.today())
    assert await runner.run(tenant, job.id, worker=worker) == "succeeded"
    async with tenant_transaction(TenantContext.district(tenant)):
        result = await current_transaction().connection.fetchval(
            "SELECT result FROM jobs WHERE id = $1", job.id
        )
    return json.loads(result) if isinstance(result, str) else result


async def test_issue_now_issues_a_signed_card_once(ready: None) -> None:
    row = await approved(tier="B")
    tenant = await unit_id(PENGJIANG)
    result = await issue_now(tenant)
    assert result["issued"] >= 1 and result["skipped"] == 0
    [card] = await cards_of(tenant, [row["id"]])
    today = clock.today()
    number = parse_card_number(card["card_no"])  # the check character holds
    assert (number.district_code, number.year) == (PENGJIANG, today.year)
    assert (card["tier"], card["state"], card["valid_from"]) == ("B", "active", today)
    assert card["valid_until"] == issuance.add_years(today, 3) - timedelta(days=1)

    # the token verifies under the published key, and the district's list was published with it
    async with tenant_transaction(TenantContext.none()):
        keys = await signing_keys.published()
    lists = {PENGJIANG: await publishing.published_document(PENGJIANG)}
    finding = check(card["token"], signing_keys.lookup(keys), lists, today)
    assert finding.verdict is Verdict.VALID and finding.claims is not None
    assert finding.claims.card_no == card["card_no"] and finding.claims.holder == "欧阳*明"

    async with tenant_transaction(TenantContext.district(tenant)):
        state = await current_transaction().connection.fetchval(
            "SELECT state FROM talent_applications WHERE id = $1", row["id"]
        )
    assert state == "issued"
    async with tenant_transaction(TenantContext.district(tenant)):
        audited = await current_transaction().connection.fetchval(
            """SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'talent_card.issued'
                 AND after -> 'cards' @> jsonb_build_array(jsonb_build_object('card_no', $2::text))""",
            tenant,
            card["card_no"],
        )
    assert audited == 1  # the night's audit record names every card it issued

    again = await issue_now(tenant)  # a re-run finds nothing of it left to do
    assert len(await cards_of(tenant, [row["id"]])) == 1
    assert card["card_no"] not in again["card_numbers"]


async def test_validity_never_runs_past_the_contract(ready: None) -> None:
    end = clock.today() + timedelta(days=400)
    row = await approved(tier="B", contract_end=end)
    tenant = await unit_id(PENGJIANG)
    await issue_now(tenant)
    [card] = await cards_of(tenant, [row["id"]])
    assert card["valid_until"] == end


async def test_several_issuers_at_once_number_every_approval_once_without_gaps(
    ready: None, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nightly_issue, "CHUNK", 15)  # eight chunks: the issuers take turns chunk by chunk
    tenant = await unit_id("440781")
    on = clock.today()
    ids = await make_approved(admin_url, tenant, 120, on)
    # four "issue now" jobs and two nightly fan-outs of the same date, all running at once
    async with tenant_transaction(TenantContext.district(tenant)):
        manual = [await tasks.request_issue(tenant, None, on) for _ in range(4)]
    fanned = await nightly.fan_out(on, "440781")
    async with tenant_transaction(TenantContext.district(tenant)):  # the other nightly kinds wait
        for p in fanned:
            if p.kind != tasks.ISSUE and p.created:
                await job_service.cancel(tenant, p.job_id)
    planned = [p for p in fanned if p.kind == tasks.ISSUE]
    jobs = [j.id for j in manual] + [p.job_id for p in planned]
    outcomes = await asyncio.gather(*(runner.run(tenant, j, worker=f"w{i}") for i, j in enumerate(jobs)))
    assert set(outcomes) == {"succeeded"}

    cards = await cards_of(tenant, ids)
    assert sorted(c["application_id"] for c in cards) == sorted(ids)  # one card each, none twice
    numbers = await sequences(admin_url, tenant, on.year)
    assert numbers == list(range(1, len(numbers) + 1))  # every committed number, gapless
    indexes = sorted(c["status_index"] for c in cards)
    assert len(set(indexes)) == len(indexes)


async def test_a_reservation_left_partly_unused_is_refused_at_commit(ready: None) -> None:
    """Numbers reserved for a chunk must all be used: the database refuses the commit otherwise,
    so a bug that reserves more than it inserts cannot leave a gap."""
    row = await approved(tier="B")
    tenant = await unit_id(PENGJIANG)
    signer = await issuance.signer_for_run()
    before = await sequences_of(tenant)
    with pytest.raises(asyncpg.CheckViolationError, match="reserved number was not used"):
        async with tenant_transaction(TenantContext.district(tenant)):
            conn = current_transaction().connection
            year = clock.today().year
            await conn.fetchrow("SELECT * FROM talent_card_block_reserve($1, $2, 2)", tenant, year)
            card = await issuance.insert_card(
                tenant, application_id=row["id"], person_id=row["person_id"], tier="B",
                policy_version_id=row["policy_version_id"], valid_from=clock.today(),
                valid_until=clock.today() + timedelta(days=30), contract_end=row["contract_end"],
                signer=signer,
            )  # fmt: skip
            assert card["card_no"]
    assert await sequences_of(tenant) == before  # nothing of it committed
    issued = await issuance.issue_in_own_transaction(tenant, row["id"], clock.today(), signer)
    assert issued is not None and int(issued.card_no[12:-1]) == (max(before) if before else 0) + 1


async def sequences_of(tenant: UUID) -> list[int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            "SELECT card_no FROM talent_cards WHERE tenant_id = $1 AND year = $2", tenant, clock.today().year
        )
    return sorted(int(r["card_no"][12:-1]) for r in rows)
