"""The card pages in a browser (issue 10 §9): a card shows its image and downloads PNG and PDF;
revoke and report a loss from the page (a reason asked for, confirmed in a dialog; the loss leads
to the new card); renew only inside the renewal window (409 outside, with the reason); a benefit
use recorded and the quota's refusal (409) shown; the renewal reminders; the dashboard's queues;
masked exports; another district's card or application is a 404; city roles see no card page."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe import clock
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import cards, issuance, sweep
from tests.accounts.support import field_error
from tests.registry.support import unit_id
from tests.subsidies.pages_support import browser, post_from
from tests.talent.support import JIANGHAI, PENGJIANG, approved

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


async def issued(
    code: str = PENGJIANG, *, contract_end: date | None = None, name: str = "欧阳小明"
) -> dict[str, Any]:
    """A tier-B card issued today, as its row."""
    tenant = await unit_id(code)
    row = await approved(code, contract_end=contract_end, name=name)
    done = await issuance.issue_in_own_transaction(
        tenant, row["id"], clock.today(), await issuance.signer_for_run()
    )
    assert done is not None
    async with tenant_transaction(TenantContext.district(tenant)):
        return await cards.load(tenant, done.card_no)


async def card_row(card_no: str) -> dict[str, Any]:
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        return await cards.load(tenant, card_no)


async def test_the_card_page_shows_the_image_and_downloads(clerk: httpx.AsyncClient) -> None:
    card = await issued(name="司徒明月")
    path = f"/talent/cards/{card['card_no']}"
    page = await clerk.get(path)
    assert page.status_code == 200
    assert f'<img class="img-fluid" id="card-image" src="{path}/card.png"' in page.text
    assert "司徒*月" in page.text and "司徒明月" not in page.text
    assert f"/verify/{card['token']}" in page.text.split('id="verify-url"')[1].split("</code>")[0]
    assert card["valid_until"].isoformat() in page.text.split('id="validity"')[1].split("</span>")[0]
    assert 'data-benefit="children_school" data-used="0"' in page.text
    image = await clerk.get(f"{path}/card.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG") and "attachment" not in image.headers["content-disposition"]
    png = await clerk.get(f"{path}/download.png")  # as printed: the name in full, unlike the page's
    assert png.content.startswith(b"\x89PNG") and png.content != image.content
    assert png.headers["content-disposition"].startswith("attachment")
    pdf = await clerk.get(f"{path}/download.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and f"{card['card_no']}.pdf" in pdf.headers["content-disposition"]
    listed = await clerk.get("/talent/cards", params={"state": "active", "size": "100"})
    assert listed.status_code == 200 and card["card_no"] in listed.text and "司徒*月" in listed.text


async def test_revoke_asks_for_a_reason_and_a_confirmation(reviewer: httpx.AsyncClient) -> None:
    card = await issued()
    path = f"/talent/cards/{card['card_no']}"
    page = await reviewer.get(path)
    assert 'data-ui-confirm="confirm-revoke"' in page.text and '<dialog id="confirm-revoke"' in page.text
    assert 'id="confirm-loss"' not in page.text  # a loss is the clerk's
    empty = await post_from(reviewer, path, f"{path}/revoke", {"reason": " "})
    assert empty.status_code == 422 and field_error(empty.text, "f-reason") == "请填写理由。"
    assert (await card_row(card["card_no"]))["state"] == "active"
    done = await post_from(reviewer, path, f"{path}/revoke", {"reason": "提供虚假材料"})
    assert done.status_code == 303 and done.headers["location"] == path
    shown = await reviewer.get(path)
    assert 'data-state="revoked"' in shown.text.split('id="card-state"')[1] and "提供虚假材料" in shown.text
    assert 'id="confirm-revoke"' not in shown.text
    again = await post_from(reviewer, path, f"{path}/revoke", {"reason": "再次吊销"})
    assert again.status_code == 409 and "此卡已不在有效状态。" in again.text.split('id="flashes"')[1]


async def test_a_reported_loss_leads_to_the_new_card(clerk: httpx.AsyncClient) -> None:
    card = await issued()
    path = f"/talent/cards/{card['card_no']}"
    page = await clerk.get(path)
    assert 'data-ui-confirm="confirm-loss"' in page.text
    done = await post_from(clerk, path, f"{path}/report-loss", {"reason": "持卡人报失"})
    assert done.status_code == 303
    new_path = done.headers["location"]
    assert new_path.startswith("/talent/cards/QD") and new_path != path
    new = await clerk.get(new_path)
    assert new.status_code == 200 and card["card_no"] in new.text  # "replaces card …"
    assert (await card_row(card["card_no"]))["state"] == "lost"
    old = await clerk.get(path)
    assert new_path.rsplit("/", 1)[1] in old.text.split('id="replaced-by"')[1]


async def test_renewal_opens_only_inside_the_window(clerk: httpx.AsyncClient) -> None:
    far = await issued()
    path = f"/talent/cards/{far['card_no']}"
    refused = await post_from(clerk, path, f"{path}/renew", {"comment": "提前续期"})
    assert refused.status_code == 409
    assert "续期自" in refused.text.split('id="flashes"')[1].split("</div>")[0]
    near = await issued(contract_end=clock.today() + timedelta(days=20))  # valid until its contract ends
    path = f"/talent/cards/{near['card_no']}"
    new_end = (clock.today() + timedelta(days=1500)).isoformat()
    done = await post_from(
        clerk, path, f"{path}/renew", {"contract_end": new_end, "social_insurance_months": "30"}
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/talent/applications/")
    renewal = await clerk.get(done.headers["location"])
    assert renewal.status_code == 200 and "续期" in renewal.text and new_end in renewal.text
    assert near["card_no"] in (await clerk.get(path)).text.split('id="renewals"')[0]


async def test_a_benefit_use_is_recorded_until_the_quota_is_used_up(clerk: httpx.AsyncClient) -> None:
    card = await issued()  # tier B: children_school once a year
    path = f"/talent/cards/{card['card_no']}"
    page = await clerk.get(path)
    assert "子女入学协调" in page.text.split('id="f-benefit"')[1].split("</select>")[0]
    missing = await post_from(
        clerk, path, f"{path}/benefit-uses", {"benefit": "children_school", "place": ""}
    )
    assert missing.status_code == 422 and field_error(missing.text, "f-place")
    done = await post_from(
        clerk, path, f"{path}/benefit-uses", {"benefit": "children_school", "place": "蓬江区教育局"}
    )
    assert done.status_code == 303
    shown = await clerk.get(path)
    assert 'data-benefit="children_school" data-used="1"' in shown.text and "蓬江区教育局" in shown.text
    refused = await post_from(
        clerk, path, f"{path}/benefit-uses", {"benefit": "children_school", "place": "江门一中"}
    )
    assert refused.status_code == 409
    assert "此卡该项服务本年度次数已用完。" in refused.text.split('id="flashes"')[1]
    assert 'data-benefit="children_school" data-used="1"' in refused.text


async def test_reminders_and_the_dashboard_queues(
    clerk: httpx.AsyncClient, reviewer: httpx.AsyncClient
) -> None:
    tenant = await unit_id(PENGJIANG)
    ending = await issued(contract_end=clock.today() + timedelta(days=10))
    async with tenant_transaction(TenantContext.district(tenant)):
        await sweep.sweep(tenant, clock.today())
    page = await clerk.get("/talent/reminders")
    assert page.status_code == 200 and ending["card_no"] in page.text.split('id="reminders"')[1]
    waiting = await approved()
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        to_issue = await conn.fetchval(
            "SELECT count(*) FROM talent_applications WHERE tenant_id = $1 AND state = 'approved'", tenant
        )
        expiring = await conn.fetchval(
            """SELECT count(*) FROM talent_cards
               WHERE tenant_id = $1 AND state = 'active' AND valid_until <= $2""",
            tenant, clock.today() + timedelta(days=30),
        )  # fmt: skip
    assert to_issue >= 1 and expiring >= 1 and waiting["state"] == "approved"
    dashboard = await reviewer.get("/dashboard")
    assert f'data-queue="talent_to_issue" data-count="{to_issue}"' in dashboard.text
    assert "待制发的人才卡" in dashboard.text
    mine = await clerk.get("/dashboard")
    assert f'data-queue="talent_expiring" data-count="{expiring}"' in mine.text
    listed = await clerk.get("/talent/cards", params={"state": "active", "expiring": "1"})
    assert f'data-total="{expiring}"' in listed.text and ending["card_no"] in listed.text


async def test_exports_are_masked_and_audited(clerk: httpx.AsyncClient) -> None:
    card = await issued(name="诸葛孔明")
    answer = await clerk.get("/talent/cards/export", params={"format": "csv", "state": "active"})
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["卡号", "持卡人"]
    assert [card["card_no"], "诸葛*明"] in [r[:2] for r in rows]
    assert "诸葛孔明" not in answer.content.decode("utf-8-sig")
    applications = await clerk.get("/talent/applications/export", params={"format": "csv"})
    text = applications.content.decode("utf-8-sig")
    assert applications.status_code == 200 and "诸葛*明" in text and "诸葛孔明" not in text
    xlsx = await clerk.get("/talent/applications/export", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    tenant = await unit_id(PENGJIANG)
    async with tenant_transaction(TenantContext.district(tenant)):
        actions = await current_transaction().connection.fetch(
            "SELECT action FROM audit_log WHERE action LIKE 'talent_%list.exported'"
        )
    assert {"talent_card_list.exported", "talent_application_list.exported"} <= {a["action"] for a in actions}


async def test_another_districts_card_and_application_are_not_found(clerk: httpx.AsyncClient) -> None:
    theirs = await issued(JIANGHAI)
    for path in (
        f"/talent/cards/{theirs['card_no']}", f"/talent/cards/{theirs['card_no']}/card.png",
        f"/talent/cards/{theirs['card_no']}/download.pdf", f"/talent/applications/{theirs['application_id']}",
    ):  # fmt: skip
        assert (await clerk.get(path)).status_code == 404, path
    refused = await post_from(
        clerk, "/talent/cards", f"/talent/cards/{theirs['card_no']}/report-loss", {"reason": "跨区"}
    )
    assert refused.status_code == 404
    assert (await card_row_of(JIANGHAI, theirs["card_no"]))["state"] == "active"


async def card_row_of(code: str, card_no: str) -> dict[str, Any]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        return await cards.load(tenant, card_no)


async def test_city_roles_see_no_card_pages(app: Any) -> None:
    async with browser(app, "440700", Role.CITY_ANALYST) as (analyst, _user):
        for path in (
            "/talent/applications",
            "/talent/cards",
            "/talent/reminders",
            "/talent/applications/new",
        ):
            assert (await analyst.get(path)).status_code == 403, path
        home = await analyst.get("/")
        assert 'href="/talent/' not in home.text
