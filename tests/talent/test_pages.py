"""The talent-card pages in a browser (issue 10 §9): a clerk applies through the form (a tier not met
answers 422 with every reason in Chinese and the tiers the evidence does meet), records the
employer's confirmation and submits; a reviewer finds it in the queue and approves a lower tier;
whoever submitted it gets no approve button and a 403; "issue now" leads to its job."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import applications
from tests.accounts.support import field_error
from tests.registry.support import unit_id
from tests.subsidies.pages_support import browser, post_from, version_on
from tests.talent.support import PENGJIANG, evidence, parties, staff

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


async def fetch(sql: str, *args: Any, code: str = PENGJIANG) -> Any:
    """One row of district ``code``, read as that district."""
    async with tenant_transaction(TenantContext.district(await unit_id(code))):
        found = await current_transaction().connection.fetchrow(sql, *args)
    assert found is not None, sql
    return dict(found)


async def row(application_id: UUID | str) -> dict[str, Any]:
    return await fetch("SELECT * FROM talent_applications WHERE id = $1", UUID(str(application_id)))


async def uscc_of(employer_id: UUID) -> str:
    return str((await fetch("SELECT uscc FROM enterprises WHERE id = $1", employer_id))["uscc"])


def form(person_id: UUID, uscc: str, **overrides: Any) -> dict[str, Any]:
    return {
        "person_id": str(person_id), "tier_claimed": "B", "employer_uscc": uscc,
        "qualifications": ["doctorate"], "social_insurance_months": "24",
        "contract_end": (clock.today() + timedelta(days=2000)).isoformat(), "annual_salary": "",
        **overrides,
    }  # fmt: skip


async def submitted(name: str = "欧阳小明") -> dict[str, Any]:
    """An application confirmed and submitted by a new clerk of Pengjiang (not the test's users)."""
    clerk, _reviewer = await staff()
    person_id, employer_id = await parties(name=name)
    made = await applications.create(clerk, evidence(person_id, employer_id))
    made = await applications.confirm_employer(clerk, made["id"], made["version"], "人事部 李经理")
    return await applications.submit(clerk, made["id"], made["version"])


async def test_a_clerk_applies_confirms_and_submits(clerk: httpx.AsyncClient) -> None:
    person_id, employer_id = await parties(name="司马小雨")
    new = f"/talent/applications/new?person_id={person_id}"
    page = await clerk.get(new)
    assert page.status_code == 200
    assert "司马*雨" in page.text and "司马小雨" not in page.text
    assert "博士研究生学历" in page.text and 'value="doctorate"' in page.text  # the vocabulary's words

    # tier A is not met with a doctorate: every reason, in Chinese, and the tiers it does meet
    uscc = await uscc_of(employer_id)
    refused = await post_from(clerk, new, "/talent/applications/new", form(person_id, uscc, tier_claimed="A"))
    assert refused.status_code == 422, re.findall(r"alert.*?</div>", refused.text, re.S)
    assert 'id="not-met"' in refused.text, re.findall(
        r"(?:alert|invalid-feedback).*?</div>", refused.text, re.S
    )
    alert = refused.text.split('id="not-met"')[1].split("</div>")[0]
    assert "申报材料不符合 A 类人才卡条件。" in alert
    assert len(re.findall(r"<li>", alert)) >= 1 and re.search(r"<li>[^<]*[\u4e00-\u9fff]", alert)
    assert 'data-tiers="B,C"' in alert and "B 卡" in alert

    # field errors in place: an unknown employer, months that are not a number
    wrong = await post_from(
        clerk, new, "/talent/applications/new",
        form(person_id, "91440703MA00000000", social_insurance_months="两年"),
    )  # fmt: skip
    assert wrong.status_code == 422
    assert field_error(wrong.text, "f-employer_uscc")
    assert field_error(wrong.text, "f-social_insurance_months")

    done = await post_from(clerk, new, "/talent/applications/new", form(person_id, uscc))
    assert done.status_code == 303
    path = done.headers["location"]
    saved = await row(path.rsplit("/", 1)[1])
    assert (saved["state"], saved["tier_claimed"], saved["person_id"]) == ("draft", "B", person_id)

    detail = await clerk.get(path)
    assert detail.status_code == 200 and saved["number"] in detail.text
    assert (
        'data-tier="B" data-eligible="yes"' in detail.text
        and 'data-tier="A" data-eligible="no"' in detail.text
    )
    empty = await post_from(clerk, path, f"{path}/confirm-employer", {"version": version_on(detail.text)})
    assert empty.status_code == 422 and field_error(empty.text, "f-comment") == "请填写用人单位确认人。"
    confirmed = await post_from(
        clerk,
        path,
        f"{path}/confirm-employer",
        {"version": version_on(detail.text), "comment": "人事部 王经理"},
    )
    assert confirmed.status_code == 303
    shown = await clerk.get(path)
    assert "人事部 王经理" in shown.text.split('id="employer-confirmation"')[1].split("</span>")[0]
    stale = await post_from(clerk, path, f"{path}/submit", {"version": version_on(detail.text)})
    assert stale.status_code == 409 and 'data-flash="danger"' in stale.text
    sent = await post_from(clerk, path, f"{path}/submit", {"version": version_on(shown.text)})
    assert sent.status_code == 303
    assert (await row(saved["id"]))["state"] == "submitted"
    timeline = (await clerk.get(path)).text.split('id="timeline"')[1]
    assert 'data-to-state="draft"' in timeline and 'data-to-state="submitted"' in timeline

    listed = await clerk.get("/talent/applications", params={"state": "submitted", "size": "20"})
    assert listed.status_code == 200 and saved["number"] in listed.text and "司马*雨" in listed.text
    assert 'id="ui-page-size"' in listed.text
    assert saved["number"] not in (await clerk.get("/talent/applications", params={"state": "draft"})).text
    person_page = await clerk.get(f"/registry/people/{person_id}")
    assert f'href="/talent/applications/new?person_id={person_id}"' in person_page.text
    theirs = await clerk.get("/talent/applications", params={"person_id": str(person_id)})
    assert 'data-total="1"' in theirs.text and saved["number"] in theirs.text and "司马*雨" in theirs.text


async def test_the_reviewer_approves_a_lower_tier_from_the_queue(reviewer: httpx.AsyncClient) -> None:
    sent = await submitted()
    queue = await reviewer.get("/talent/review")
    assert queue.status_code == 200
    assert sent["number"] in queue.text.split('id="submitted"')[1].split("</table>")[0]
    path = f"/talent/review/{sent['id']}"
    page = await reviewer.get(path)
    decision = page.text.split('id="decision"')[1]
    assert 'id="confirm-approve"' in decision and 'id="confirm-reject"' in decision
    offered = re.findall(
        r'<option value="([ABC])"( selected)?', decision.split('id="f-tier"')[1].split("</select>")[0]
    )
    assert offered == [("B", " selected"), ("C", "")]  # the claimed tier (chosen) or a lower one

    no_reason = await post_from(
        reviewer, path, f"{path}/reject", {"version": version_on(page.text), "comment": ""}
    )
    assert no_reason.status_code == 422 and field_error(no_reason.text, "f-comment") == "请填写理由。"
    higher = await post_from(
        reviewer, path, f"{path}/approve", {"version": version_on(page.text), "tier": "A"}
    )
    assert higher.status_code == 422 and "审核人可按申报类别或更低类别核准" in higher.text
    done = await post_from(
        reviewer,
        path,
        f"{path}/approve",
        {"version": version_on(page.text), "tier": "C", "comment": "降级核准"},
    )
    assert done.status_code == 303
    saved = await row(sent["id"])
    assert (saved["state"], saved["tier_approved"]) == ("approved", "C")
    shown = await reviewer.get(done.headers["location"])
    assert "C 卡" in shown.text.split('id="tier-approved"')[1].split("</span>")[0]
    again = await post_from(
        reviewer, path, f"{path}/approve", {"version": str(saved["version"]), "tier": "C"}
    )
    assert again.status_code == 409


async def test_the_submitter_sees_no_approve_button_and_is_refused(app: Any) -> None:
    clerk, _reviewer = await staff()
    person_id, employer_id = await parties()
    made = await applications.create(clerk, evidence(person_id, employer_id))
    await applications.confirm_employer(clerk, made["id"], made["version"], "人事部")
    async with browser(app, PENGJIANG, Role.CLERK, Role.REVIEWER) as (both, _user):
        detail = f"/talent/applications/{made['id']}"
        page = await both.get(detail)
        assert (
            await post_from(both, detail, f"{detail}/submit", {"version": version_on(page.text)})
        ).status_code == 303
        path = f"/talent/review/{made['id']}"
        review = await both.get(path)
        assert review.status_code == 200
        assert 'id="confirm-approve"' not in review.text and 'id="confirm-reject"' not in review.text
        assert "该申请由您提交，须由其他审核员审批。" in review.text
        version = str((await row(made["id"]))["version"])
        refused = await post_from(both, detail, f"{path}/approve", {"version": version, "tier": "B"})
        assert refused.status_code == 403
        assert (
            "该申请由您提交，须由其他审核员审批。" in refused.text.split('id="flashes"')[1].split("</div>")[0]
        )
    assert (await row(made["id"]))["state"] == "submitted"


async def test_issue_now_leads_to_the_job(reviewer: httpx.AsyncClient) -> None:
    from tests.talent.support import approved

    granted = await approved()
    queue = await reviewer.get("/talent/review")
    assert granted["number"] in queue.text.split('id="approved"')[1] and 'id="issue-now"' in queue.text
    started = await post_from(reviewer, "/talent/review", "/talent/review/issue-now", {})
    assert started.status_code == 303
    assert re.fullmatch(r"/jobs/[0-9a-f-]{36}", started.headers["location"])
    job = await reviewer.get(started.headers["location"])
    assert job.status_code == 200


async def test_a_clerk_sees_no_review_pages(clerk: httpx.AsyncClient) -> None:
    assert (await clerk.get("/talent/review")).status_code == 403
    page = await clerk.get("/talent/applications")
    assert page.status_code == 200 and 'href="/talent/review"' not in page.text
