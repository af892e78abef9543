"""The home page per role, the layout around it, the language switch and the API docs page."""

from __future__ import annotations

import re

import httpx
import pytest

from renshe.accounts.principal import Role

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')

# What each role must (and must not) be offered on its home page now.
EXPECTED_LINKS: dict[Role, tuple[set[str], set[str]]] = {
    Role.CLERK: ({"/jobs"}, {"/admin/users", "/audit", "/docs/api"}),
    Role.REVIEWER: ({"/jobs"}, {"/admin/users", "/audit", "/docs/api"}),
    Role.FINANCE: ({"/jobs", "/docs/api"}, {"/admin/users", "/audit"}),
    Role.DISTRICT_ADMIN: ({"/jobs", "/admin/users", "/docs/api"}, {"/audit"}),
    Role.CITY_ANALYST: ({"/jobs", "/rollups"}, {"/admin/users", "/audit", "/docs/api", "/dashboard"}),
    Role.CITY_ADMIN: ({"/jobs", "/docs/api", "/rollups"}, {"/audit", "/dashboard"}),
    Role.SYSADMIN: ({"/jobs", "/admin/users", "/docs/api"}, {"/audit"}),
    Role.SECADMIN: ({"/admin/users"}, {"/jobs", "/audit", "/docs/api"}),
    Role.AUDITOR: ({"/audit"}, {"/jobs", "/admin/users", "/docs/api"}),
}
ROLE_ZH = {
    Role.CLERK: "经办员",
    Role.REVIEWER: "审核员",
    Role.FINANCE: "财务人员",
    Role.DISTRICT_ADMIN: "区级管理员",
    Role.CITY_ANALYST: "市局分析员",
    Role.CITY_ADMIN: "市局管理员",
    Role.SYSADMIN: "系统管理员",
    Role.SECADMIN: "安全管理员",
    Role.AUDITOR: "审计管理员",
}


def task_links(html: str) -> set[str]:
    return set(re.findall(r'<a class="task-link" href="([^"]+)"', html))


async def test_anonymous_home_goes_to_login(client: httpx.AsyncClient) -> None:
    answer = await client.get("/")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


@pytest.mark.parametrize("role", list(Role))
async def test_home_page_per_role(client: httpx.AsyncClient, role: Role) -> None:
    answer = await client.get("/", headers={"X-Test-Role": role.value})
    assert answer.status_code == 200
    html = answer.text
    assert "王小明" in html
    assert ROLE_ZH[role] in html
    assert "您现在可以办理" in html
    must, must_not = EXPECTED_LINKS[role]
    offered = task_links(html)
    assert must <= offered, offered
    assert not (must_not & offered), offered
    # Every offered page opens for this role (no link to a 403 or a 404).
    for path in offered:
        page = await client.get(path, headers={"X-Test-Role": role.value})
        assert page.status_code == 200, (path, page.status_code)


async def test_district_user_sees_the_district_and_later_capabilities(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"X-Test-Role": "clerk"})).text
    assert "蓬江区人力资源和社会保障局" in html
    assert "后续版本将上线" in html
    assert "人员登记" in html and "补贴申请" in html and "发放批次" not in html  # finance's, not a clerk's
    assert "人才卡" in html  # a later release, listed as coming


async def test_admin_roles_are_not_promised_business_features(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"X-Test-Role": "auditor"})).text
    assert "江门市人力资源和社会保障局" in html
    assert "后续版本将上线" not in html


async def test_home_page_in_english(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"X-Test-Role": "clerk", "Cookie": "lang=en"})).text
    assert '<html lang="en">' in html
    assert "What you can do now" in html
    assert "Clerk" in html
    assert "Pengjiang District HRSS Bureau" in html
    assert "经办员" not in html


async def test_layout_carries_the_csrf_token_for_forms_and_htmx(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"X-Test-Role": "clerk"})).text
    token = CSRF_META.search(html)
    assert token and token.group(1)
    value = token.group(1)
    assert f'<body hx-headers=\'{{"X-CSRF-Token": "{value}"}}\'>' in html
    logout = re.search(r'<form class="logout" method="post" action="/logout">(.*?)</form>', html, re.S)
    assert logout and f'name="_csrf" value="{value}"' in logout.group(1)
    assert '<meta name="htmx-config"' in html
    assert "&#34;includeIndicatorStyles&#34;: false" in html or '"includeIndicatorStyles": false' in html


async def test_navigation_matches_the_role(client: httpx.AsyncClient) -> None:
    html = (await client.get("/", headers={"X-Test-Role": "auditor"})).text
    nav = re.search(r'<nav class="mainnav"[^>]*>.*?</nav>', html, re.S)
    assert nav
    assert 'href="/audit"' in nav.group(0)
    assert 'href="/jobs"' not in nav.group(0)


async def test_api_documentation_is_offered_to_the_roles_that_use_the_api(client: httpx.AsyncClient) -> None:
    clerk = (await client.get("/", headers={"X-Test-Role": "clerk"})).text
    assert 'href="/docs/api"' not in clerk  # neither in the navigation bar nor on the home page
    finance = (await client.get("/", headers={"X-Test-Role": "finance"})).text
    # on the home page's task list, not in the navigation bar of every page
    assert finance.count('href="/docs/api"') == 1 and "/docs/api" in task_links(finance)
    batches = (await client.get("/disbursement/batches", headers={"X-Test-Role": "finance"})).text
    assert 'href="/docs/api"' not in batches
    # the page itself still opens for a clerk (its guard is unchanged)
    assert (await client.get("/docs/api", headers={"X-Test-Role": "clerk"})).status_code == 200


async def test_language_switch_sets_cookie_and_goes_back(client: httpx.AsyncClient) -> None:
    answer = await client.get("/lang/en?next=/docs/api")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/docs/api"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("lang=en;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # The client keeps the cookie: the next page is in English, then back to Chinese.
    assert "API documentation" in (await client.get("/docs/api")).text
    await client.get("/lang/zh_CN?next=/docs/api")
    assert "接口文档" in (await client.get("/docs/api")).text


@pytest.mark.parametrize(
    "target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", ""]
)
async def test_language_switch_never_leaves_the_site(client: httpx.AsyncClient, target: str) -> None:
    answer = await client.get("/lang/en", params={"next": target})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"


async def test_unknown_language_is_404(client: httpx.AsyncClient) -> None:
    answer = await client.get("/lang/fr?next=/")
    assert answer.status_code == 404
    assert "set-cookie" not in answer.headers or "lang=" not in answer.headers["set-cookie"]


async def test_openapi_has_only_api_routes_and_bearer_auth(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/schema")
    assert answer.status_code == 200
    schema = answer.json()
    assert schema["info"]["title"] == "renshe API"
    assert schema["paths"], "no API routes documented"
    assert all(path.startswith("/api/") for path in schema["paths"]), list(schema["paths"])
    scheme = schema["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    assert (await client.get("/api/schema/openapi.yaml")).status_code == 200


async def test_api_docs_page_lists_every_documented_endpoint(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/api/schema")).json()
    html = (await client.get("/docs/api")).text
    for path in schema["paths"]:
        assert f"<code>{path}</code>" in html, path


async def test_home_after_a_real_login(client: httpx.AsyncClient) -> None:
    """Through the login form and the real auth middleware (no test principal header)."""
    from tests.accounts.support import signed_in

    await signed_in(client, "440704", Role.CLERK)
    html = (await client.get("/")).text
    assert "测试用户" in html
    assert "经办员" in html
    assert "江海区" in html
    assert "/jobs" in task_links(html)
