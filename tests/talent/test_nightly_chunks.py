"""The night's chunks as the database and a failing worker see them: a chunk that fails while one
of its statements is still in flight leaves nothing behind, and the night gives the planner the
statistics of the tables it fills (docs/performance.md, "Talent cards")."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe import clock
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import issuance, nightly_issue
from tests.registry.support import unit_id
from tests.talent.bulk import make_approved, sequences
from tests.talent.test_issuance import issue_now

pytestmark = pytest.mark.asyncio(loop_scope="session")
XINHUI = "440705"


@pytest_asyncio.fixture(loop_scope="session")
async def superuser(db: None, admin_url: str) -> AsyncIterator[asyncpg.Connection]:
    await sync_catalogue()
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        yield conn
    finally:
        await conn.close()


async def _state(tenant: UUID, ids: list[UUID]) -> dict[str, Any]:
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        return {
            "states": {
                r["state"]
                for r in await conn.fetch(
                    "SELECT state FROM talent_applications WHERE tenant_id = $1 AND id = ANY($2::uuid[])",
                    tenant, ids,
                )
            },
            "cards": await conn.fetchval(
                "SELECT count(*) FROM talent_cards WHERE tenant_id = $1 AND application_id = ANY($2::uuid[])",
                tenant, ids,
            ),
            "issuances": await conn.fetchval(
                """SELECT count(*) FROM talent_card_issuances
                   WHERE tenant_id = $1 AND application_id = ANY($2::uuid[])""",
                tenant, ids,
            ),
            "events": await conn.fetch(
                """SELECT application_id, comment FROM talent_application_events
                   WHERE tenant_id = $1 AND application_id = ANY($2::uuid[]) AND to_state = 'issued'""",
                tenant, ids,
            ),
        }  # fmt: skip


async def test_a_chunk_failing_while_a_slice_is_in_flight_leaves_nothing_and_the_next_issues_all(
    superuser: asyncpg.Connection, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chunk signs a slice while the database inserts the slice before it. A failure there
    (a signing key that cannot sign, say) must roll the whole chunk back — applications still
    approved, no card, no issuance, no event, no number taken — and not die on the statement
    still in flight (asyncpg refuses a rollback while one runs)."""
    tenant = await unit_id(XINHUI)
    on: date = clock.today()
    await issue_now(tenant, on)  # whatever other tests left waiting in the district
    ids = await make_approved(admin_url, tenant, 12, on)
    before = await sequences(admin_url, tenant, on.year)
    monkeypatch.setattr(nightly_issue, "SIGNING_SLICE", 5)
    signed = 0
    real_sign = nightly_issue.sign_card

    def failing_sign(card: dict[str, Any], signer: Any) -> str:
        nonlocal signed
        signed += 1
        if signed == 8:  # the second slice, while the first slice's cards are being inserted
            raise RuntimeError("planted: the key cannot sign")
        return real_sign(card, signer)

    monkeypatch.setattr(nightly_issue, "sign_card", failing_sign)
    signer = await issuance.signer_for_run()
    with pytest.raises(RuntimeError, match="planted"):
        await nightly_issue.issue_chunk_in_own_transaction(tenant, on, signer)
    after = await _state(tenant, ids)
    assert (after["states"], after["cards"], after["issuances"], after["events"]) == ({"approved"}, 0, 0, [])
    assert await sequences(admin_url, tenant, on.year) == before  # no number burnt

    monkeypatch.setattr(nightly_issue, "sign_card", real_sign)
    issued = await nightly_issue.issue_chunk_in_own_transaction(tenant, on, signer)
    assert sorted(i.application_id for i in issued) == sorted(ids)
    done = await _state(tenant, ids)
    assert (done["states"], done["cards"], done["issuances"]) == ({"issued"}, 12, 12)
    numbers = await sequences(admin_url, tenant, on.year)
    assert numbers == list(range(1, len(numbers) + 1))  # gapless across the failure
    # every timeline event names the card its application got
    assert {e["application_id"]: e["comment"] for e in done["events"]} == {
        i.application_id: i.card_no for i in issued
    }


async def _statistics(superuser: asyncpg.Connection) -> float:
    return float(
        await superuser.fetchval("SELECT reltuples FROM pg_class WHERE oid = 'talent_cards'::regclass")
    )


async def test_a_first_night_analyses_the_cards_table_it_fills(
    superuser: asyncpg.Connection, admin_url: str
) -> None:
    """Without statistics the planner checks each issuance's card by walking the district's year
    index (650 µs a card at 5,000 cards, growing): the night analyses the table it fills."""
    tenant = await unit_id(XINHUI)
    on = clock.today()
    await superuser.execute("ALTER TABLE talent_cards SET (autovacuum_enabled = false)")
    try:
        # the table as a district's first night finds it: never analysed
        await superuser.execute(
            "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = 'talent_cards'::regclass"
        )
        await make_approved(admin_url, tenant, 3, on)
        assert await _statistics(superuser) < 0
        await issue_now(tenant, on)
        assert await _statistics(superuser) >= 1  # analysed, counting the cards it holds
    finally:
        await superuser.execute("ALTER TABLE talent_cards RESET (autovacuum_enabled)")


async def test_the_application_may_analyse_only_the_tables_a_night_fills_and_only_when_stale(
    superuser: asyncpg.Connection,
) -> None:
    tenant = await unit_id(XINHUI)

    async def refresh(table: str) -> bool:
        async with tenant_transaction(TenantContext.district(tenant)):
            return bool(
                await current_transaction().connection.fetchval("SELECT renshe_refresh_statistics($1)", table)
            )

    await superuser.execute("ANALYZE talent_card_issuances")
    assert await refresh("talent_card_issuances") is False  # fresh statistics: left alone
    await superuser.execute(
        "UPDATE pg_class SET reltuples = -1, relpages = 0 WHERE oid = 'talent_card_issuances'::regclass"
    )
    assert await refresh("talent_card_issuances") is True
    assert await superuser.fetchval(
        "SELECT reltuples >= 0 FROM pg_class WHERE oid = 'talent_card_issuances'::regclass"
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="not a table a nightly job fills"):
        await refresh("persons")
