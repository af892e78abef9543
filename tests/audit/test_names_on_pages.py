"""Pages say who and what in words: the audit log shows display names (系统 for the system, a
deactivated user marked as such) and actions in words in both languages, the raw action kept in
a tooltip; district codes are shown as names; an empty field is "—"."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from renshe import i18n
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.settings import get_settings
from renshe.tenancy import names
from renshe.web.app import create_app
from renshe.web.templating import build_environment, or_dash
from tests.jobs.people import BASE_URL, person, sign_in
from tests.jobs.support import unit_id

pytestmark = pytest.mark.usefixtures("db")
ROOT = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(loop_scope="session")
async def client(db: None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(), client=("192.0.2.31", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


async def _named_user(display_name: str, active: bool = True) -> audit.Actor:
    """A clerk of 蓬江区 with a display name (deactivated if asked), as an audit actor."""
    from renshe.accounts.authentication import Origin
    from renshe.accounts.service import create_user

    username = f"t_named_{secrets.token_hex(4)}"
    issued = await create_user(
        get_settings(), None, Origin(operator="test"), username=username, org_unit="440703",
        roles=frozenset({Role.CLERK}), display_name=display_name, password="Xq7#pLm2!vR9zz",
        must_change_password=False,
    )  # fmt: skip
    if not active:
        async with tenant_transaction(TenantContext.none()):
            await current_transaction().connection.execute(
                "UPDATE users SET active = false WHERE id = $1", issued.user_id
            )
    return audit.Actor(user_id=issued.user_id, username=username, role="clerk")


async def test_audit_log_names_people_and_actions_in_both_languages(client: httpx.AsyncClient) -> None:
    tenant = await unit_id("440703")
    working = await _named_user("陈小明")
    gone = await _named_user("李已离", active=False)
    object_id = f"names-{secrets.token_hex(4)}"
    async with tenant_transaction(TenantContext.district(tenant)):
        await audit.record(tenant, working, "person.exported", object_type="probe", object_id=object_id)
        await audit.record(tenant, gone, "auth.tokens_revoked", object_type="probe", object_id=object_id)
        await audit.record(tenant, audit.SYSTEM, "application.in_notice", object_type="probe",
                           object_id=object_id)  # fmt: skip
    await sign_in(client, await person("440700", Role.AUDITOR))

    page = (await client.get("/audit", params={"object_id": object_id})).text
    assert "陈小明" in page and working.username not in page.split("<tbody>")[1].replace(
        f'title="{working.username}"', ""
    )  # the display name is shown; the username only in the tooltip
    assert "(已停用) 李已离" in page
    assert ">系统<" in page
    assert '<td title="person.exported">导出人员名单</td>' in page
    assert '<td title="auth.tokens_revoked">吊销全部 API 令牌</td>' in page
    assert "进入公示" in page

    await client.get("/lang/en?next=/")
    page = (await client.get("/audit", params={"object_id": object_id})).text
    assert '<td title="person.exported">Person list exported</td>' in page
    assert "All API tokens revoked" in page
    assert "(deactivated) 李已离" in page
    assert ">System<" in page


async def test_district_codes_become_names_in_the_page_language() -> None:
    names.remember([{"id": "00000000-0000-0000-0000-000000000001", "code": "440703",
                     "name_zh": "蓬江区", "name_en": "Pengjiang District"}])  # fmt: skip
    try:
        assert names.unit_name("440703") == "蓬江区"
        assert names.unit_name("00000000-0000-0000-0000-000000000001") == "蓬江区"
        token = i18n.current_locale.set("en")
        try:
            assert names.unit_name("440703") == "Pengjiang District"
        finally:
            i18n.current_locale.reset(token)
        assert names.unit_name("999999") == "999999"  # unknown: the code, not an empty cell
        assert names.unit_name(None) == ""
    finally:
        await names.load()  # the real units again, for the tests after this one


async def test_pages_print_district_codes_as_names() -> None:
    """The filter the list and detail templates use (``{{ p.district_code | unit_name }}``)."""
    await names.load()
    env = build_environment()
    template = env.from_string("{{ code | unit_name }}|{{ note | or_dash }}|{{ count | or_dash }}")
    assert template.render(code="440703", note=None, count=0) == "蓬江区|—|0"
    people_list = (ROOT / "templates/registry/people_list.html").read_text(encoding="utf-8")
    assert "p.district_code | unit_name" in people_list


def test_an_empty_field_is_a_dash_and_zero_stays() -> None:
    assert or_dash(None) == "—"
    assert or_dash("") == "—"
    assert or_dash("  ") == "—"
    assert or_dash(0) == 0
    assert or_dash("江门") == "江门"
