"""督查: city roles read aggregates; the city administrator reads one district's records only under
a live grant asked with a reason, for at most eight hours, read-only, every request audited."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.principal import Role
from renshe.db import urls
from renshe.errors import ValidationFailed
from renshe.registry.masking import mask_name
from renshe.supervision import service
from tests.accounts.support import audit_actions, new_client, page_csrf, signed_in
from tests.registry.support import api_headers, person_body, principal, unit_id
from tests.supervision.support import CITY, REASON, supervising_browser, supervisor

A, B = "440703", "440704"
PEOPLE = "/api/v1/people"


async def _register(client: httpx.AsyncClient, code: str, name: str) -> dict[str, Any]:
    made = await client.post(PEOPLE, json=person_body(name=name), headers=await api_headers(code, Role.CLERK))
    assert made.status_code == 201, made.text
    return dict(made.json())


async def test_a_city_analyst_reads_no_person_anywhere(client: httpx.AsyncClient) -> None:
    mine = await _register(client, A, "市局不可见")
    analyst = await api_headers(CITY, Role.CITY_ANALYST)
    for path in (PEOPLE, f"{PEOPLE}/{mine['id']}", "/api/v1/enterprises", "/api/v1/applications"):
        answer = await client.get(path, headers=analyst)
        assert answer.status_code == 403, (path, answer.text)
        assert "市局不可见" not in answer.text


async def test_a_city_admin_without_a_grant_is_told_to_ask(client: httpx.AsyncClient) -> None:
    await _register(client, A, "未经督查")
    admin = await api_headers(CITY, Role.CITY_ADMIN, language="zh-CN")
    answer = await client.get(PEOPLE, params={"name_prefix": "未经督查"}, headers=admin)
    assert answer.status_code == 403
    assert "督查" in answer.json()["detail"] and "未经督查" not in answer.text


async def test_a_grant_opens_its_district_only_read_only_and_audited(client: httpx.AsyncClient) -> None:
    in_a, in_b = await _register(client, A, "督查可见"), await _register(client, B, "督查可见")
    p, headers = await supervisor(A)
    listed = await client.get(PEOPLE, params={"name_prefix": "督查可见", "limit": 200}, headers=headers)
    assert listed.status_code == 200
    ids = {x["id"] for x in listed.json()["items"]}
    assert in_a["id"] in ids and in_b["id"] not in ids
    assert (await client.get(f"{PEOPLE}/{in_a['id']}", headers=headers)).status_code == 200
    assert (await client.get(f"{PEOPLE}/{in_b['id']}", headers=headers)).status_code == 404
    # read-only: no change, no unmasking, no new record
    patch = await client.patch(f"{PEOPLE}/{in_a['id']}", json={"version": 1, "notes": "x"}, headers=headers)
    assert patch.status_code == 403
    unmask = await client.post(
        f"{PEOPLE}/{in_a['id']}/unmask", json={"field": "mobile", "reason": "督查核对"}, headers=headers
    )
    assert unmask.status_code == 403
    assert (await client.post(PEOPLE, json=person_body(), headers=headers)).status_code == 403
    # the city's chain: the grant, then each read with its path and never its query
    records = [r for r in await audit_actions(await unit_id(CITY)) if r["actor_username"] == p.username]
    assert records[0]["action"] == "supervision.granted"
    assert REASON in str(records[0]["after"]) and A in str(records[0]["after"])
    reads = [r for r in records if r["action"] == "supervision.read"]
    assert len(reads) == 3  # the three reads; the refused writes stopped at their role guard
    assert all("督查可见" not in str(r["after"]) for r in reads)
    assert any(in_a["id"] in str(r["after"]) for r in reads)


async def test_an_ended_or_expired_grant_opens_nothing(client: httpx.AsyncClient, admin_url: str) -> None:
    p, headers = await supervisor(B)
    assert (await client.get(PEOPLE, headers=headers)).status_code == 200
    grant = next(g for g in await service.recent(p, None) if g.user_id == p.user_id)
    assert grant.live
    await service.end(p, actor_for(p, Origin()), grant.id)
    assert (await client.get(PEOPLE, headers=headers)).status_code == 403
    with pytest.raises(Exception, match="already ended"):
        await service.end(p, actor_for(p, Origin()), grant.id)

    q, later = await supervisor(B)
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:  # eight hours pass
        await conn.execute(
            """UPDATE supervision_grants SET starts_at = starts_at - interval '9 hours',
               ends_at = ends_at - interval '9 hours' WHERE user_id = $1""",
            q.user_id,
        )
        # and the database refuses a grant longer than eight hours, whatever the service says
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(
                "UPDATE supervision_grants SET ends_at = starts_at + interval '9 hours' WHERE user_id = $1",
                q.user_id,
            )
    finally:
        await conn.close()
    assert (await client.get(PEOPLE, headers=later)).status_code == 403


@pytest.mark.parametrize(
    ("district", "reason", "hours", "field"),
    [
        ("city", REASON, 2, "district"),
        (None, REASON, 2, "district"),
        (A, "看看", 9, "hours"),
        (A, "看", 2, "reason"),
        (A, "x" * 501, 2, "reason"),
        (A, "督查\u200b核对", 2, "reason"),
        (A, REASON, 0, "hours"),
    ],
)
async def test_a_bad_request_is_refused_at_its_field_and_saves_nothing(
    district: str | None, reason: str, hours: int, field: str
) -> None:
    p = await principal(CITY, Role.CITY_ADMIN)
    target = None if district is None else await unit_id(CITY if district == "city" else district)
    with pytest.raises(ValidationFailed) as refused:
        await service.ask(p, actor_for(p, Origin()), target, reason, hours)
    assert field in refused.value.errors
    assert [g for g in await service.recent(p, None) if g.user_id == p.user_id] == []


async def test_only_the_city_administrator_may_ask(app: Any) -> None:
    for code, role in ((CITY, Role.CITY_ANALYST), (A, Role.DISTRICT_ADMIN), (CITY, Role.SYSADMIN)):
        async with new_client(app) as browser:
            await signed_in(browser, code, role)
            assert (await browser.get("/supervision")).status_code == 403, role


async def test_the_page_asks_lists_opens_the_registry_and_ends(app: Any, client: httpx.AsyncClient) -> None:
    mine = await _register(client, B, "页面督查")
    async with new_client(app) as browser:
        await supervising_browser(browser, B)
        page = await browser.get("/supervision")
        assert page.status_code == 200 and "江海" in page.text and REASON in page.text
        assert 'href="/registry/people"' in page.text
        people = await browser.get("/registry/people", params={"name": "页面督查"})
        assert people.status_code == 200 and mask_name("页面督查") in people.text
        detail = await browser.get(f"/registry/people/{mine['id']}")
        assert detail.status_code == 200
        assert "<form" not in detail.text.split('<main id="main"', 1)[1]  # read-only: no action offered
        grant_id = page.text.split('data-grant="', 1)[1].split('"', 1)[0]
        token = await page_csrf(browser, "/supervision")
        ended = await browser.post(
            f"/supervision/{grant_id}/end", data={"_csrf": token}, follow_redirects=False
        )
        assert ended.status_code == 303
        assert (await browser.get("/registry/people")).status_code == 403
        again = await browser.get("/supervision")
        assert "已结束" in again.text and f"/supervision/{grant_id}/end" not in again.text


async def test_the_page_shows_a_refusal_at_its_field(app: Any) -> None:
    async with new_client(app) as browser:
        await signed_in(browser, CITY, Role.CITY_ADMIN)
        token = await page_csrf(browser, "/supervision")
        answer = await browser.post(
            "/supervision", data={"_csrf": token, "district": "", "reason": "", "hours": "12"}
        )
    assert answer.status_code == 422
    for field in ("district", "reason", "hours"):
        assert f'id="f-{field}-msg"' in answer.text, field
