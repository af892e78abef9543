"""A card's life after issue (issue 10 §7): report a loss (revoked, reissued under a new number
linked to the old one), revoke with a reason, renew inside the window (same tier: the same number
extended; another tier: a new card replacing it), the nightly sweep (expiry, renewal flags), and
benefit uses with the yearly quota held by the database under concurrent service points."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import Conflict, ValidationFailed
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import (
    applications,
    benefits,
    cards,
    issuance,
    publishing,
    signing_keys,
    status_lists,
    sweep,
)
from renshe.talent.verification import Verdict, check
from tests.registry.support import unit_id
from tests.subsidies.applications_support import caller
from tests.talent.support import PENGJIANG, approved

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None) -> None:
    await sync_catalogue()


async def issued(*, on: date | None = None, tier: str = "B", name: str = "欧阳小明") -> dict[str, Any]:
    """A card issued on ``on`` (today by default), as its row."""
    tenant = await unit_id(PENGJIANG)
    row = await approved(tier=tier, name=name)
    done = await issuance.issue_in_own_transaction(
        tenant, row["id"], on or clock.today(), await issuance.signer_for_run()
    )
    assert done is not None
    async with tenant_transaction(TenantContext.district(tenant)):
        return await cards.load(tenant, done.card_no)


async def verdict_of(token: str) -> Verdict:
    async with tenant_transaction(TenantContext.none()):
        keys = await signing_keys.published()
    lists = {PENGJIANG: await publishing.published_document(PENGJIANG)}
    return check(token, signing_keys.lookup(keys), lists, clock.today()).verdict


async def test_a_reported_loss_revokes_and_reissues_under_a_new_linked_number(ready: None) -> None:
    card = await issued()
    clerk = await caller(PENGJIANG, Role.CLERK)
    with pytest.raises(ValidationFailed):
        await cards.report_loss(clerk, card["card_no"], " ")
    lost, new = await cards.report_loss(clerk, card["card_no"], "持卡人报失")
    assert lost["state"] == "lost" and lost["ended_reason"] == "持卡人报失"
    assert new["card_no"] != card["card_no"] and new["replaces_card_id"] == card["id"]
    assert (new["tier"], new["valid_until"], new["origin"], new["state"]) == (
        card["tier"], card["valid_until"], "reissue", "active",
    )  # fmt: skip
    with pytest.raises(Conflict):
        await cards.report_loss(clerk, card["card_no"], "再次报失")

    tenant = await unit_id(PENGJIANG)
    document = await publishing.publish_in_own_transaction(tenant)
    async with tenant_transaction(TenantContext.none()):
        lookup = signing_keys.lookup(await signing_keys.published())
    bits = status_lists.verify(document, lookup, district=PENGJIANG)
    assert status_lists.is_set(bits, lost["status_index"]) and not status_lists.is_set(
        bits, new["status_index"]
    )
    assert await verdict_of(lost["token"]) == Verdict.REVOKED
    assert await verdict_of(new["token"]) == Verdict.VALID


async def test_revocation_needs_a_reason_and_happens_once(ready: None) -> None:
    card = await issued()
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    with pytest.raises(ValidationFailed):
        await cards.revoke(reviewer, card["card_no"], "")
    done = await cards.revoke(reviewer, card["card_no"], "提供虚假材料")
    assert done["state"] == "revoked"
    with pytest.raises(Conflict):
        await cards.revoke(reviewer, card["card_no"], "提供虚假材料")
    # the publication was enqueued with the revocation, as a job of the district
    async with tenant_transaction(TenantContext.district(await unit_id(PENGJIANG))):
        queued = await current_transaction().connection.fetchval(
            """SELECT count(*) FROM jobs
               WHERE kind = 'talent.publish_status' AND created_at > now() - interval '1 minute'"""
        )
    assert queued >= 1


async def _renewal_issued(card: dict[str, Any], tier: str | None = None) -> dict[str, Any]:
    clerk, reviewer = await caller(PENGJIANG, Role.CLERK), await caller(PENGJIANG, Role.REVIEWER)
    renewal = await cards.renew(clerk, card["card_no"], "到期续期", {})
    assert (renewal["kind"], renewal["card_id"], renewal["state"]) == ("renewal", card["id"], "draft")
    renewal = await applications.confirm_employer(clerk, renewal["id"], renewal["version"], "人事部")
    renewal = await applications.submit(clerk, renewal["id"], renewal["version"])
    renewal = await applications.approve(reviewer, renewal["id"], renewal["version"], tier)
    tenant = await unit_id(PENGJIANG)
    done = await issuance.issue_in_own_transaction(
        tenant, renewal["id"], clock.today(), await issuance.signer_for_run()
    )
    assert done is not None and done.kind == "renewal"
    async with tenant_transaction(TenantContext.district(tenant)):
        return await cards.load(tenant, done.card_no)


async def test_renewal_opens_in_the_window_and_extends_the_same_number(ready: None) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    fresh = await issued()
    with pytest.raises(Conflict):  # three years to go: not yet
        await cards.renew(clerk, fresh["card_no"], "提前续期", {})

    card = await issued(on=issuance.add_years(clock.today(), -3) + timedelta(days=10))
    assert card["valid_until"] == clock.today() + timedelta(days=9)
    renewed = await _renewal_issued(card)
    assert renewed["card_no"] == card["card_no"] and renewed["state"] == "active"
    assert renewed["valid_until"] == issuance.add_years(
        card["valid_until"] + timedelta(days=1), 3
    ) - timedelta(days=1)
    assert renewed["token"] != card["token"] and await verdict_of(renewed["token"]) == Verdict.VALID
    with pytest.raises(Conflict):  # renewed: its next window is three years away
        await _renewal_issued(renewed)


async def test_a_renewal_for_another_tier_replaces_the_card(ready: None) -> None:
    card = await issued(on=issuance.add_years(clock.today(), -3) + timedelta(days=10))
    new = await _renewal_issued(card, tier="C")
    assert new["card_no"] != card["card_no"] and new["tier"] == "C" and new["replaces_card_id"] == card["id"]
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        old = await cards.load(tenant, card["card_no"])
    assert old["state"] == "superseded"


async def test_the_nightly_sweep_expires_and_flags_once(ready: None) -> None:
    tenant = await unit_id(PENGJIANG)
    ending = await issued(on=issuance.add_years(clock.today(), -3) + timedelta(days=10))  # 9 days left
    gone = await issued(on=issuance.add_years(clock.today(), -3) - timedelta(days=2))  # ended 3 days ago
    for _ in range(2):  # a second run changes nothing more
        async with tenant_transaction(TenantContext.district(tenant)):
            await sweep.sweep(tenant, clock.today())
    async with tenant_transaction(TenantContext.district(tenant)):
        ending, gone = await cards.load(tenant, ending["card_no"]), await cards.load(tenant, gone["card_no"])
    assert (ending["state"], ending["renewal_flagged_on"]) == ("active", clock.today())
    assert gone["state"] == "expired"
    clerk = await caller(PENGJIANG, Role.CLERK)
    reminders = {c["card_no"] for c in await cards.list_cards(clerk, renewal_due=True, limit=500)}
    assert ending["card_no"] in reminders and gone["card_no"] not in reminders
    assert await verdict_of(gone["token"]) == Verdict.EXPIRED


async def test_a_benefit_quota_holds_under_two_desks_at_once(ready: None) -> None:
    card = await issued(tier="B")  # B: children_school once a year
    desk_a, desk_b = await caller(PENGJIANG, Role.CLERK), await caller(PENGJIANG, Role.CLERK)
    with pytest.raises(ValidationFailed):
        await benefits.record_use(desk_a, card["card_no"], "airport_lounge", None, "江门站")
    with pytest.raises(ValidationFailed):
        await benefits.record_use(
            desk_a,
            card["card_no"],
            "children_school",
            card["valid_until"] + timedelta(days=1),
            "蓬江区教育局",
        )
    outcomes = await asyncio.gather(
        benefits.record_use(desk_a, card["card_no"], "children_school", None, "蓬江区教育局"),
        benefits.record_use(desk_b, card["card_no"], "children_school", None, "蓬江区教育局"),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"], outcomes
    uses, counts = await benefits.uses_of(desk_a, card["card_no"])
    assert len(uses) == 1 and [(c["benefit"], c["used"], c["quota"]) for c in counts] == [
        ("children_school", 1, 1)
    ]
    for _ in range(3):  # a benefit with room left
        await benefits.record_use(desk_b, card["card_no"], "medical_green_channel", None, "江门市中心医院")


async def test_a_change_not_yet_published_is_picked_up_by_the_minute_sweep(ready: None) -> None:
    """The scheduler's minute sweep: a district whose cards changed after its last publication gets
    one publication job (two schedulers at once: still one), and once published it is not due."""
    from renshe.talent import tasks

    card = await issued()
    tenant = await unit_id(PENGJIANG)
    await publishing.publish_in_own_transaction(tenant)
    assert tenant not in [t for t, _ in await publishing.districts_due()]
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    await cards.revoke(reviewer, card["card_no"], "已离开本市")
    due = dict(await publishing.districts_due())
    assert tenant in due
    await asyncio.gather(tasks.enqueue_due_publications(), tasks.enqueue_due_publications())
    async with tenant_transaction(TenantContext.district(tenant)):
        keyed = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM jobs WHERE tenant_id = $1 AND idempotency_key = $2",
            tenant,
            f"publish-due:{due[tenant].isoformat()}",
        )
    assert keyed == 1
    await publishing.publish_in_own_transaction(tenant)
    assert tenant not in dict(await publishing.districts_due())
