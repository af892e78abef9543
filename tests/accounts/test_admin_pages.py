"""User administration in the browser: who may see and change whom."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

from renshe.accounts import sessions
from renshe.accounts.principal import Role
from tests.accounts.support import (
    audit_actions,
    code_at,
    login,
    make_user,
    new_client,
    post_form,
    signed_in,
    unique,
    unit_id,
)


async def test_clerk_and_auditor_get_403_on_user_admin(client, app):
    await signed_in(client, "440703", Role.CLERK)
    assert (await client.get("/admin/users")).status_code == 403
    async with new_client(app) as auditor:
        await signed_in(auditor, "440700", Role.AUDITOR)
        assert (await auditor.get("/admin/users")).status_code == 403


async def test_anonymous_is_sent_to_login(client):
    answer = await client.get("/admin/users", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=")


async def test_district_admin_sees_only_their_district(client):
    other_id, other_name, _ = await make_user("440704", Role.CLERK)
    own_id, own_name, _ = await make_user("440703", Role.CLERK)
    await signed_in(client, "440703", Role.DISTRICT_ADMIN)
    listed = await client.get("/admin/users")
    assert listed.status_code == 200
    assert own_name in listed.text and other_name not in listed.text
    # even when asking for the other district in the filter
    listed = await client.get("/admin/users", params={"unit": "440704"})
    assert other_name not in listed.text
    # another district's user does not exist for them: 404 for reading and for every action
    assert (await client.get(f"/admin/users/{other_id}")).status_code == 404
    for action in ("deactivate", "reset-password", "reset-second-factor", "roles"):
        answer = await post_form(
            client,
            f"/admin/users/{other_id}/{action}",
            {"roles": ["clerk"]},
            from_page=f"/admin/users/{own_id}",
        )
        assert answer.status_code == 404, action


async def test_district_admin_creates_a_clerk_but_cannot_grant_city_or_admin_roles(client):
    await signed_in(client, "440703", Role.DISTRICT_ADMIN)
    name = unique("newclerk")
    for roles, unit in (
        (["city_analyst"], "440703"),
        (["sysadmin"], "440703"),
        (["district_admin"], "440703"),
        (["clerk"], "440704"),
    ):
        answer = await post_form(
            client,
            "/admin/users/new",
            {"username": name, "org_unit": unit, "roles": roles},
            from_page="/admin/users/new",
        )
        assert answer.status_code == 422, (roles, unit)
    answer = await post_form(
        client,
        "/admin/users/new",
        {"username": name, "display_name": "李四", "org_unit": "440703", "roles": ["clerk", "reviewer"]},
        from_page="/admin/users/new",
    )
    assert answer.status_code == 200, answer.text
    temporary = re.search(r'<code class="secret">([^<]+)</code>', answer.text).group(1)
    # the new clerk signs in with the temporary password and must change it first
    async with new_client(client._transport.app) as clerk:  # type: ignore[attr-defined]
        first = await login(clerk, name, temporary)
        assert first.status_code == 303
        assert first.headers["location"] == "/account/password"
        elsewhere = await clerk.get("/admin/users", follow_redirects=False)
        assert elsewhere.headers["location"] == "/account/password"


async def test_role_exclusivity_is_enforced_for_sysadmin_too(client):
    await signed_in(client, "440700", Role.SYSADMIN)
    for roles in (["sysadmin", "auditor"], ["auditor", "clerk"], ["secadmin", "city_analyst"]):
        answer = await post_form(
            client,
            "/admin/users/new",
            {"username": unique("x"), "org_unit": "440700", "roles": roles},
            from_page="/admin/users/new",
        )
        assert answer.status_code == 422, roles
        assert 'id="f-roles-error"' in answer.text  # the message under the role boxes
    # a city role in a district office
    answer = await post_form(
        client,
        "/admin/users/new",
        {"username": unique("x"), "org_unit": "440705", "roles": ["city_admin"]},
        from_page="/admin/users/new",
    )
    assert answer.status_code == 422


async def test_sysadmin_creates_an_auditor_who_gets_a_second_factor(client, app):
    await signed_in(client, "440700", Role.SYSADMIN)
    name = unique("aud")
    answer = await post_form(
        client,
        "/admin/users/new",
        {"username": name, "org_unit": "440700", "roles": ["auditor"]},
        from_page="/admin/users/new",
    )
    assert answer.status_code == 200
    secrets_shown = re.findall(r'<code class="secret">([^<]+)</code>', answer.text)
    temporary, totp_secret = secrets_shown[0], secrets_shown[1]
    assert "otpauth://" in secrets_shown[2]
    async with new_client(app) as auditor:
        assert (await login(auditor, name, temporary)).status_code == 401  # no code
        assert (await login(auditor, name, temporary, code_at(totp_secret))).status_code == 303
    created = [r for r in await audit_actions(await unit_id("440700")) if r["action"] == "user.created"]
    assert any(name in (r["after"] or "") for r in created)


async def test_changes_are_audited_in_the_users_district(client):
    user_id, _, _ = await make_user("440785", Role.CLERK)
    await signed_in(client, "440785", Role.DISTRICT_ADMIN)
    page = f"/admin/users/{user_id}"
    assert (
        await post_form(client, f"{page}/roles", {"roles": ["clerk", "finance"]}, from_page=page)
    ).status_code == 303
    assert (await post_form(client, f"{page}/deactivate", from_page=page)).status_code == 303
    assert (await post_form(client, f"{page}/reactivate", from_page=page)).status_code == 303
    reset = await post_form(client, f"{page}/reset-password", from_page=page)
    assert reset.status_code == 200
    actions = [r["action"] for r in await audit_actions(await unit_id("440785"), user_id)]
    for expected in (
        "user.created",
        "user.roles_changed",
        "user.deactivated",
        "user.reactivated",
        "user.password_reset",
    ):
        assert expected in actions
    # a stale form (old version) does not overwrite a newer change
    stale = await post_form(client, f"{page}/roles", {"roles": ["clerk"], "version": "1"}, from_page=page)
    assert stale.status_code == 409


async def test_nobody_changes_their_own_roles(client):
    me, _ = await signed_in(client, "440700", Role.SYSADMIN)
    answer = await post_form(
        client, f"/admin/users/{me}/roles", {"roles": ["sysadmin", "clerk"]}, from_page=f"/admin/users/{me}"
    )
    assert answer.status_code == 403


async def test_deactivated_user_cannot_sign_in(client, app):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    async with new_client(app) as admin:
        await signed_in(admin, "440703", Role.DISTRICT_ADMIN)
        await post_form(admin, f"/admin/users/{user_id}/deactivate", from_page=f"/admin/users/{user_id}")
    assert (await login(client, name)).status_code == 401
    assert sessions.COOKIE_NAME not in client.cookies


async def test_a_lost_authenticator_is_replaced_and_the_old_key_stops_working(client, app):
    user_id, name, old_key = await make_user("440703", Role.DISTRICT_ADMIN)
    assert old_key
    async with new_client(app) as owner:
        assert (await login(owner, name, totp=code_at(old_key))).status_code == 303
        assert (await owner.get("/admin/users", follow_redirects=False)).status_code == 200
        await signed_in(client, "440700", Role.SYSADMIN)
        page = f"/admin/users/{user_id}"
        assert "reset-second-factor" in (await client.get(page)).text
        answer = await post_form(client, f"{page}/reset-second-factor", from_page=page)
        assert answer.status_code == 200
        shown = re.findall(r'<code class="secret">([^<]+)</code>', answer.text)
        new_key, uri = shown[0], shown[1]  # no temporary password: the password is unchanged
        assert new_key != old_key and uri.startswith("otpauth://") and len(shown) == 2
        # the owner's session ended with the reset; the old key no longer signs in, the new one does
        assert (await owner.get("/admin/users", follow_redirects=False)).status_code == 303
    async with new_client(app) as again:
        assert (await login(again, name, totp=code_at(old_key))).status_code == 401
        assert (await login(again, name, totp=code_at(new_key))).status_code == 303
    actions = [r["action"] for r in await audit_actions(await unit_id("440703"), user_id)]
    assert "user.second_factor_reset" in actions


async def test_a_user_without_a_second_factor_has_none_to_reset(client):
    user_id, _, _ = await make_user("440785", Role.CLERK)
    await signed_in(client, "440785", Role.DISTRICT_ADMIN)
    page = f"/admin/users/{user_id}"
    assert "reset-second-factor" not in (await client.get(page)).text
    answer = await post_form(client, f"{page}/reset-second-factor", from_page=page)
    assert answer.status_code == 409
    assert "没有可更换的密钥" in answer.text


async def test_an_operator_replaces_the_second_factor_from_the_command_line(client, db):
    """The last resort when the only administrator lost their authenticator."""
    user_id, name, old_key = await make_user("440700", Role.SYSADMIN)

    def cli(username: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "renshe", "users", "reset-second-factor", username]
        return subprocess.run(
            command, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False
        )

    done = await asyncio.to_thread(cli, name)
    assert done.returncode == 0, done.stderr[-2000:]
    new_key = re.search(r"key:\s+(\S+)", done.stdout)
    assert new_key and new_key.group(1) != old_key and "otpauth://" in done.stdout
    assert (await login(client, name, totp=code_at(new_key.group(1)))).status_code == 303
    actions = [r["action"] for r in await audit_actions(await unit_id("440700"), user_id)]
    assert "user.second_factor_reset" in actions

    _, clerk, _ = await make_user("440785", Role.CLERK)
    refused = await asyncio.to_thread(cli, clerk)
    assert refused.returncode != 0 and "no key to replace" in refused.stderr


async def test_a_former_administrator_keeps_no_reset_button_for_a_key_they_no_longer_use(client):
    user_id, _, key = await make_user("440785", Role.DISTRICT_ADMIN)
    assert key  # the key stays stored after the roles change
    await signed_in(client, "440700", Role.SYSADMIN)
    page = f"/admin/users/{user_id}"
    assert "reset-second-factor" in (await client.get(page)).text
    roles = await post_form(client, f"{page}/roles", {"roles": ["clerk"]}, from_page=page)
    assert roles.status_code == 303
    assert "reset-second-factor" not in (await client.get(page)).text
    assert (await post_form(client, f"{page}/reset-second-factor", from_page=page)).status_code == 409


USER_ROW = re.compile(r'<td><a href="/admin/users/[0-9a-f-]{36}">')


def _user_rows(html: str) -> int:
    table = re.search(r'<table [^>]*id="users".*?</table>', html, re.S)
    return len(USER_ROW.findall(table.group(0))) if table else 0


async def test_the_user_list_pages_by_the_size_the_admin_chose_keeping_the_filters(client):
    from renshe.accounts import listing

    for _ in range(21):
        await make_user("440705", Role.FINANCE)
    matching = {"unit": "440705", "role": "finance"}
    total = (await listing.list_users(None, unit_code="440705", role="finance")).total
    await signed_in(client, "440700", Role.SYSADMIN)
    answer = await client.get("/admin/users", params={**matching, "size": "20"})
    assert answer.status_code == 200
    html = answer.text
    assert _user_rows(html) == 20
    assert f'data-total="{total}"' in html, "the total of the filtered list is shown"
    assert re.search(r'<option value="20" selected>20</option>', html), "the chosen size is shown"
    # the next page keeps the filters and the size, and so does the filter form
    next_link = re.search(r'rel="next" href="([^"]+)"', html)
    assert next_link
    for kept in ("unit=440705", "role=finance", "size=20", "page=2"):
        assert kept in next_link.group(1), kept
    assert '<input type="hidden" name="size" value="20">' in html
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert _user_rows(second.text) == min(20, total - 20)
    # an unknown size falls back to the default of 50
    wider = await client.get("/admin/users", params={**matching, "size": "7"})
    assert _user_rows(wider.text) == min(50, total)
