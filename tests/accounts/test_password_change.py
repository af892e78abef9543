"""Changing one's own password: field errors in Chinese, history, forced change, max age."""

from __future__ import annotations

from datetime import timedelta

from renshe.accounts import sessions
from renshe.accounts.principal import Role
from tests.accounts.support import PASSWORD, audit_actions, login, make_user, post_form, set_user, unit_id


async def test_policy_errors_are_shown_per_field_in_chinese(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    await login(client, name)
    cases = {
        "short": ("Ab1!", "密码至少需要 10 位"),
        "two classes": ("abcdefghij12", "至少三类"),
        "username": (f"Xx!{name}", "不能包含用户名"),
        "reuse": (PASSWORD, "最近 5 次"),
    }
    for case, (new, message) in cases.items():
        answer = await post_form(
            client,
            "/account/password",
            {"current_password": PASSWORD, "new_password": new, "repeat_password": new},
        )
        assert answer.status_code == 422, case
        assert message in answer.text, case
    answer = await post_form(
        client,
        "/account/password",
        {
            "current_password": "Wrong-Password-1",
            "new_password": "Brand-New-Pass-9",
            "repeat_password": "Brand-New-Pass-9",
        },
    )
    assert answer.status_code == 422 and "当前密码不正确" in answer.text


async def test_english_messages_with_the_language_cookie(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    await login(client, name)
    client.cookies.set("lang", "en", domain="testserver.local")
    answer = await post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "repeat_password": "short"},
    )
    assert "at least 10 characters" in answer.text


async def test_a_change_rotates_the_session_and_is_audited(client):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    await login(client, name)
    old = client.cookies.get(sessions.COOKIE_NAME)
    answer = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "Brand-New-Pass-9",
            "repeat_password": "Brand-New-Pass-9",
        },
    )
    assert answer.status_code == 303
    assert client.cookies.get(sessions.COOKIE_NAME) != old
    assert await sessions.raw_get(old) is None
    assert "user.password_changed" in [
        r["action"] for r in await audit_actions(await unit_id("440703"), user_id)
    ]
    client.cookies.clear()
    assert (await login(client, name)).status_code == 401
    assert (await login(client, name, "Brand-New-Pass-9")).status_code == 303


async def test_an_old_password_forces_a_change_before_anything_else(client, clock):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    await set_user(user_id, password_changed_at=clock.now() - timedelta(days=91))
    answer = await login(client, name, next_path="/admin/users")
    assert answer.headers["location"] == "/account/password"
    blocked = await client.get("/", follow_redirects=False)
    assert blocked.status_code in (303, 200)
    if blocked.status_code == 303:
        assert blocked.headers["location"] == "/account/password"
    page = await client.get("/account/password")
    assert "请先设置新密码" in page.text
    answer = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "Brand-New-Pass-9",
            "repeat_password": "Brand-New-Pass-9",
        },
    )
    assert answer.status_code == 303
    assert (
        await client.get("/admin/users", follow_redirects=False)
    ).status_code == 403  # a clerk, not redirected
