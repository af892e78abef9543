"""The grant pages, as a clerk and a reviewer use them: plan a rent grant from the youth's page
(its facts generated from the program), submit it, approve it (a missing reason for rejecting
shown at its field), record the first milestone's evidence, find it in the reviewer's queue,
decide it, and see the tranche ready for payment with the ledger and balance; a clawback above
what was paid refused at its field."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.subsidies.programs.sync import sync_catalogue
from tests.accounts.support import audit_actions, field_error
from tests.hkmo.grants_support import RENT_YEARLY_FEN, pay_ready_awards
from tests.hkmo.support import PENGJIANG, registered
from tests.registry.support import unit_id
from tests.subsidies.pages_support import browser, post_from, version_on

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    await sync_catalogue()
    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app, PENGJIANG, Role.CLERK) as (client, _user):
        yield client


@pytest_asyncio.fixture(loop_scope="session")
async def reviewer(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app, PENGJIANG, Role.REVIEWER) as (client, _user):
        yield client


async def _waiting(client: httpx.AsyncClient, queue: str) -> int:
    """The count the district dashboard shows for one work queue."""
    page = await client.get("/dashboard")
    found = re.search(rf'data-queue="{queue}" data-count="(\d+)"', page.text)
    assert found, f"no {queue} queue on the dashboard"
    return int(found.group(1))


def _tranche_states(html: str) -> list[str]:
    table = html.split('id="tranches"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'data-state="(\w+)"', table)


async def test_a_rent_grant_planned_approved_and_its_first_milestone_decided_on_the_pages(
    clerk: httpx.AsyncClient, reviewer: httpx.AsyncClient, admin_url: str
) -> None:
    youth = await registered(PENGJIANG)
    page = await clerk.get(f"/hkmo/youth/{youth['id']}")
    assert f'href="/hkmo/grants/new?youth_id={youth["id"]}"' in page.text

    form_page = f"/hkmo/grants/new?youth_id={youth['id']}&program=hkmo_rent"
    shown = await clerk.get(form_page)
    assert (
        shown.status_code == 200
        and 'name="facts.monthly_rent_fen"' in shown.text
        and 'name="years"' in shown.text
    )
    made = await post_from(clerk, form_page, "/hkmo/grants/new", {
        "youth_id": str(youth["id"]), "program": "hkmo_rent", "years": "3", "facts.months": "12",
        "facts.monthly_rent_fen": "800", "facts.still_operating": "true",
    })  # fmt: skip
    assert made.status_code == 303, made.text
    grant_path = made.headers["location"]
    draft = await clerk.get(grant_path)
    assert _tranche_states(draft.text) == ["planned", "planned", "planned"]
    assert "¥6,000.00" in draft.text and "¥18,000.00" in draft.text
    sent = await post_from(clerk, grant_path, f"{grant_path}/submit", {"version": version_on(draft.text)})
    assert sent.status_code == 303

    waiting = await reviewer.get(grant_path)
    no_reason = await post_from(
        reviewer, grant_path, f"{grant_path}/reject", {"version": version_on(waiting.text)}
    )
    assert no_reason.status_code == 422 and field_error(no_reason.text, "f-reject_comment")
    approval = {"version": version_on(waiting.text), "approve_comment": "材料齐全"}
    approved = await post_from(reviewer, grant_path, f"{grant_path}/approve", approval)
    assert approved.status_code == 303, approved.text

    due = await clerk.get(grant_path)
    assert _tranche_states(due.text) == ["due", "planned", "planned"]
    assert await _waiting(clerk, "hkmo_awaiting_evidence") >= 1
    to_decide = await _waiting(reviewer, "hkmo_awaiting_decision")
    action = re.search(r'action="(/hkmo/tranches/[0-9a-f-]+/milestone)"', due.text)
    assert action, "no evidence form for the due milestone"
    recorded = await post_from(clerk, grant_path, action.group(1), {
        "version": version_on(due.text.split('id="milestone"', 1)[1]),
        "met": "true", "evidence": "营业执照及租赁合同已核验", "document": "租赁合同",
        "dated": clock.today().isoformat(),
    })  # fmt: skip
    assert recorded.status_code == 303, recorded.text
    assert 'id="decision"' not in (await clerk.get(grant_path)).text  # a clerk does not decide

    assert await _waiting(reviewer, "hkmo_awaiting_decision") == to_decide + 1  # on the dashboard
    queue = await reviewer.get("/hkmo/milestones?queue=awaiting_decision")
    assert grant_path in queue.text
    before = await reviewer.get(grant_path)
    decide = re.search(r'action="(/hkmo/tranches/[0-9a-f-]+/decide)"', before.text)
    assert decide, "no decision form for the reviewer"
    decided = await post_from(
        reviewer, grant_path, decide.group(1), {"decision": "true", "decision_comment": "同意"}
    )
    assert decided.status_code == 303, decided.text
    after = await clerk.get(grant_path)
    assert _tranche_states(after.text) == ["ready", "planned", "planned"]
    assert await _waiting(reviewer, "hkmo_awaiting_decision") == to_decide
    assert 'data-balance="released_fen">¥6,000.00' in after.text

    await pay_ready_awards(admin_url, PENGJIANG, clock.today())
    paid = await clerk.get(grant_path)
    assert _tranche_states(paid.text) == ["paid", "planned", "planned"]
    above = await post_from(clerk, grant_path, f"{grant_path}/clawback",
                            {"amount": f"{RENT_YEARLY_FEN // 100 + 1}", "reason": "虚报租金"})  # fmt: skip
    assert above.status_code == 422 and "¥6,000.00" in field_error(above.text, "f-amount")


async def test_the_grants_list_exports_masked_and_audited(clerk: httpx.AsyncClient) -> None:
    youth = await registered(PENGJIANG)
    form_page = f"/hkmo/grants/new?youth_id={youth['id']}&program=hkmo_startup"
    made = await post_from(
        clerk, form_page, "/hkmo/grants/new", {"youth_id": str(youth["id"]), "program": "hkmo_startup"}
    )
    assert made.status_code == 303, made.text
    answer = await clerk.get("/hkmo/grants/export", params={"format": "csv", "state": "draft"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    text = answer.content.decode("utf-8-sig")
    assert "林*欣" in text and "林嘉欣" not in text  # the youth's name masked, as on the page
    assert "10,000.00" in text or "10000.00" in text
    tenant = await unit_id(PENGJIANG)
    actions = await audit_actions(tenant)
    assert actions[-1]["action"] == "hkmo_grant_list.exported"
