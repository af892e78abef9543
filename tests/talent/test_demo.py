"""Demo talent cards (``renshe seed --demo``, issue 10 §10): every district shows cards in every
state — in force, on the renewal list, expired, revoked, lost and reissued — and applications in
every state, made through the real services with maker-checker held, and a second run adds
nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio

from renshe import clock
from renshe.cli.seed import seed_demo
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry.seed import NAMESPACE
from renshe.talent.demo import seed_demo_talent
from tests.registry.support import unit_id

pytestmark = pytest.mark.asyncio(loop_scope="session")
CODES = ("440781", "440785")


async def _rows(code: str, sql: str) -> list[dict[str, Any]]:
    tenant = await unit_id(code)
    people = [uuid.uuid5(NAMESPACE, f"{code}:person:{i}") for i in range(300)]
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(sql, tenant, people)
    return [dict(r) for r in rows]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def seeded(db: None, settings: Any) -> None:
    await seed_demo(settings, "small", codes=CODES)


async def test_every_card_and_application_state_in_each_district(seeded: None) -> None:
    for code in CODES:
        apps = await _rows(
            code, "SELECT state FROM talent_applications WHERE tenant_id = $1 AND person_id = ANY($2)"
        )
        every = {"draft", "submitted", "approved", "rejected", "withdrawn", "issued"}
        assert {a["state"] for a in apps} >= every, code
        cards = await _rows(
            code,
            """SELECT card_no, state, origin, replaces_card_id, renewal_flagged_on, valid_until
               FROM talent_cards WHERE tenant_id = $1 AND person_id = ANY($2)""",
        )
        assert {c["state"] for c in cards} >= {"active", "expired", "revoked", "lost"}, code
        reissued = [c for c in cards if c["origin"] == "reissue"]
        lost = {c["state"] for c in cards if any(r["replaces_card_id"] for r in reissued)}
        assert reissued and "lost" in lost
        flagged = [c for c in cards if c["renewal_flagged_on"] and c["state"] == "active"]
        assert flagged and all(c["valid_until"] <= clock.today() + timedelta(days=30) for c in flagged)


async def test_maker_checker_held_and_a_second_run_adds_nothing(seeded: None) -> None:
    for code in CODES:
        decided = await _rows(
            code,
            """SELECT submitted_by, decided_by FROM talent_applications
               WHERE tenant_id = $1 AND person_id = ANY($2) AND decided_by IS NOT NULL""",
        )
        assert decided and all(d["submitted_by"] != d["decided_by"] for d in decided)
    cards = "SELECT 1 FROM talent_cards WHERE tenant_id = $1 AND person_id = ANY($2)"
    before = {code: len(await _rows(code, cards)) for code in CODES}
    assert await seed_demo_talent(CODES) == {code: 0 for code in CODES}
    after = {code: len(await _rows(code, cards)) for code in CODES}
    assert after == before
