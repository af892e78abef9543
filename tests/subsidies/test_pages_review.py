"""The reviewer's pages in a browser: the queue (submitted oldest first, awards on hold with open
objections), the decision page with its fraud signals, approve → public notice with its window,
reject only with a reason, maker-checker refused with the service's message, objections resolved
with a comment, another district's application answering 404, and a clerk answering 403."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.subsidies.applications import notice, service
from renshe.subsidies.applications.signals import Signal
from renshe.subsidies.applications.store import today
from tests.accounts.support import field_error
from tests.registry.support import not_luhn_card
from tests.subsidies.applications_support import JIANGHAI, RETURNED, STARTUP_FEN, budget_room, caller, person
from tests.subsidies.pages_support import PENGJIANG, browser, draft, in_notice, post_from, row, version_on

pytestmark = pytest.mark.asyncio(loop_scope="session")
TODAY = today()


@pytest_asyncio.fixture(loop_scope="session")
async def app(db: None, admin_url: str) -> Any:
    from renshe.subsidies.applications.store import today
    from renshe.web.app import create_app

    await budget_room(admin_url, PENGJIANG, "startup_once", today().year, 100 * STARTUP_FEN)
    await budget_room(admin_url, JIANGHAI, "startup_once", today().year, 100 * STARTUP_FEN)
    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def reviewer(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with browser(app, PENGJIANG, Role.REVIEWER) as (client, _user):
        yield client


async def submitted(code: str = PENGJIANG) -> dict[str, Any]:
    clerk = await caller(code, Role.CLERK)
    made = await draft(code, clerk=clerk)
    return await service.submit(clerk, made["id"], made["version"])


async def test_queue_lists_submitted_oldest_first_and_awards_on_hold(reviewer: httpx.AsyncClient) -> None:
    first, second = await submitted(), await submitted()
    held = await in_notice()
    await notice.record_objection(
        await caller(PENGJIANG, Role.CLERK),
        held["id"],
        raised_by="张女士",
        content="重复申请",
        raised_on=TODAY,
    )
    page = await reviewer.get("/subsidies/review")
    assert page.status_code == 200 and ">待审核</h1>" in page.text
    waiting = page.text.split('id="submitted"')[1].split("</table>")[0]
    assert waiting.index(first["number"]) < waiting.index(second["number"])
    on_hold = page.text.split('id="on-hold"')[1].split("</table>")[0]
    assert held["number"] in on_hold and held["number"] not in waiting
    export = await reviewer.get("/subsidies/review/export", params={"format": "csv"})
    text = export.content.decode("utf-8-sig")
    assert first["number"] in text and held["number"] in text and "陈美玲" not in text


async def test_approve_puts_the_award_in_notice_with_its_window(reviewer: httpx.AsyncClient) -> None:
    sent = await submitted()
    path = f"/subsidies/review/{sent['id']}"
    page = await reviewer.get(path)
    assert page.status_code == 200 and 'id="decision"' in page.text
    done = await post_from(
        reviewer, path, f"{path}/approve", {"version": version_on(page.text), "comment": "同意"}
    )
    assert done.status_code == 303
    shown = await reviewer.get(done.headers["location"])
    assert "公示中" in shown.text and 'id="notice-window"' in shown.text
    saved = await row(sent["id"])
    assert saved["state"] == "in_notice"
    assert saved["notice_ends_on"].isoformat() in shown.text and saved["ready_on"].isoformat() in shown.text
    assert "*" in re.search(r'<span id="payee">(.*?)</dd>', shown.text, re.S).group(1)  # type: ignore[union-attr]


async def test_reject_needs_a_reason(reviewer: httpx.AsyncClient) -> None:
    sent = await submitted()
    path = f"/subsidies/review/{sent['id']}"
    version = version_on((await reviewer.get(path)).text)
    empty = await post_from(reviewer, path, f"{path}/reject", {"version": version, "comment": " "})
    assert empty.status_code == 422 and field_error(empty.text, "f-comment") == "请填写理由。"
    assert (await row(sent["id"]))["state"] == "submitted"
    done = await post_from(reviewer, path, f"{path}/reject", {"version": version, "comment": "材料不实"})
    assert done.status_code == 303
    assert (await row(sent["id"]))["state"] == "rejected"
    assert "材料不实" in (await reviewer.get(f"/subsidies/applications/{sent['id']}")).text


async def test_the_submitter_cannot_decide_and_is_told_why(app: Any) -> None:
    async with browser(app, PENGJIANG, Role.CLERK, Role.REVIEWER) as (both, _user):
        made = await draft()
        detail = f"/subsidies/applications/{made['id']}"
        page = await both.get(detail)
        sent = await post_from(both, detail, f"{detail}/submit", {"version": version_on(page.text)})
        assert sent.status_code == 303
        path = f"/subsidies/review/{made['id']}"
        review = await both.get(path)
        refused = await post_from(both, path, f"{path}/approve", {"version": version_on(review.text)})
        assert refused.status_code == 403
        assert "该申请由您提交，须由其他审核员审批。" in refused.text
    assert (await row(made["id"]))["state"] == "submitted"


async def test_objection_resolved_by_the_reviewer(reviewer: httpx.AsyncClient) -> None:
    award = await in_notice()
    objection = await notice.record_objection(
        await caller(PENGJIANG, Role.CLERK),
        award["id"],
        raised_by="李先生",
        content="该人已领取过",
        raised_on=TODAY,
    )
    path = f"/subsidies/review/{award['id']}"
    page = await reviewer.get(path)
    assert 'id="resolve"' in page.text and "该人已领取过" in page.text
    action = f"{path}/objections/{objection['id']}/resolve"
    bare = await post_from(reviewer, path, action, {"resolution": "dismissed", "comment": ""})
    assert bare.status_code == 422 and (await row(award["id"]))["state"] == "on_hold"
    done = await post_from(reviewer, path, action, {"resolution": "dismissed", "comment": "经核实无误"})
    assert done.status_code == 303
    assert (await row(award["id"]))["state"] == "in_notice"  # approved today: the window still runs
    shown = await reviewer.get(f"/subsidies/applications/{award['id']}")
    assert "不成立" in shown.text and "经核实无误" in shown.text


async def test_upheld_objection_rejects_the_award(reviewer: httpx.AsyncClient) -> None:
    award = await in_notice()
    objection = await notice.record_objection(
        await caller(PENGJIANG, Role.CLERK),
        award["id"],
        raised_by="匿名",
        content="虚假材料",
        raised_on=TODAY,
    )
    path = f"/subsidies/review/{award['id']}"
    action = f"{path}/objections/{objection['id']}/resolve"
    done = await post_from(reviewer, path, action, {"resolution": "upheld", "comment": "异议成立"})
    assert done.status_code == 303
    assert (await row(award["id"]))["state"] == "rejected"


async def test_decision_page_shows_the_fraud_signals(
    reviewer: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from renshe.subsidies.applications import signals

    seen: list[Any] = []

    async def flagged(who: Any, application: Any) -> list[Signal]:
        seen.append(application["id"])
        return [Signal("shared_account", "收款账户与其他申请人相同", {})]

    monkeypatch.setattr(signals, "signals_for", flagged)
    sent = await submitted()
    page = await reviewer.get(f"/subsidies/review/{sent['id']}")
    assert "收款账户与其他申请人相同" in page.text and seen == [sent["id"]]


async def test_decision_page_shows_the_payee_and_an_account_the_clerk_confirmed_despite_its_check(
    reviewer: httpx.AsyncClient,
) -> None:
    account = not_luhn_card()  # the registry takes it only with the clerk's confirmation
    clerk = await caller(PENGJIANG, Role.CLERK)
    made = await service.create(
        clerk,
        service.Draft("startup_once", person_id=await person(PENGJIANG, account=account), facts=RETURNED),
    )
    sent = await service.submit(clerk, made["id"], made["version"])
    page = (await reviewer.get(f"/subsidies/review/{sent['id']}")).text
    payee = re.search(r'<span id="payee">(.*?)</dd>', page, re.S).group(1)  # type: ignore[union-attr]
    # masked name, masked account and the bank, before approval freezes them
    assert "陈*玲" in payee and f"{account[:4]} **** **** {account[-4:]}" in payee
    assert "中国工商银行江门分行" in payee
    assert account not in page and "陈美玲" not in page
    # who confirmed it, and when (the registry's audit record of the account)
    assert 'data-signal="account_check_failed"' in page
    assert "registry_tester 于" in page and "录入时已确认无误" in page
    # an account that passes its check is not flagged
    plain = await submitted()
    assert (
        'data-signal="account_check_failed"'
        not in (await reviewer.get(f"/subsidies/review/{plain['id']}")).text
    )


async def test_another_districts_application_answers_404(reviewer: httpx.AsyncClient) -> None:
    foreign = await submitted(JIANGHAI)
    held = await in_notice(JIANGHAI)
    objection = await notice.record_objection(
        await caller(JIANGHAI, Role.CLERK), held["id"], raised_by="某人", content="异议", raised_on=TODAY
    )
    path = f"/subsidies/review/{foreign['id']}"
    assert (await reviewer.get(path)).status_code == 404
    for action, data in [("approve", {"version": "2"}), ("reject", {"version": "2", "comment": "否"})]:
        answer = await post_from(reviewer, "/subsidies/review", f"{path}/{action}", data)
        assert answer.status_code == 404, action
    resolve = f"/subsidies/review/{held['id']}/objections/{objection['id']}/resolve"
    answer = await post_from(reviewer, "/subsidies/review", resolve, {"resolution": "upheld", "comment": "x"})
    assert answer.status_code == 404
    assert foreign["number"] not in (await reviewer.get("/subsidies/review")).text
    assert (await row(foreign["id"], JIANGHAI))["state"] == "submitted"
    assert (await row(held["id"], JIANGHAI))["state"] == "on_hold"


async def test_a_clerk_cannot_open_the_review_pages(app: Any) -> None:
    sent = await submitted()
    async with browser(app, PENGJIANG, Role.CLERK) as (clerk, _user):
        assert (await clerk.get("/subsidies/review")).status_code == 403
        assert (await clerk.get(f"/subsidies/review/{sent['id']}")).status_code == 403
        path = f"/subsidies/applications/{sent['id']}"
        answer = await post_from(clerk, path, f"/subsidies/review/{sent['id']}/approve", {"version": "2"})
        assert answer.status_code == 403
    assert (await row(sent["id"]))["state"] == "submitted"
