"""Sign in and out through the browser pages."""

from __future__ import annotations

from renshe.accounts import sessions
from renshe.accounts.principal import Role
from tests.accounts.support import PASSWORD, audit_actions, login, make_user, page_csrf, unit_id


async def test_clerk_signs_in_and_out(client):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    answer = await login(client, name)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = client.cookies.get(sessions.COOKIE_NAME)
    assert cookie
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie
    assert "secure" not in set_cookie  # RENSHE_SECURE_COOKIES is off in tests

    page = await client.get("/account/password")
    assert page.status_code == 200

    token = await page_csrf(client)
    out = await client.post("/logout", data={"_csrf": token}, follow_redirects=False)
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    # the old session id is dead even if someone kept the cookie
    assert await sessions.raw_get(cookie) is None
    client.cookies.set(sessions.COOKIE_NAME, cookie, domain="testserver.local")
    again = await client.get("/account/password", follow_redirects=False)
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login")

    actions = [r["action"] for r in await audit_actions(await unit_id("440703"), user_id)]
    assert "auth.login" in actions and "auth.logout" in actions


async def test_next_only_to_local_paths(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    answer = await login(client, name, next_path="/account/password")
    assert answer.headers["location"] == "/account/password"
    client.cookies.clear()
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = await login(client, name, next_path=evil)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/", evil
        client.cookies.clear()


async def test_wrong_password_is_refused_with_a_generic_message(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    answer = await login(client, name, PASSWORD + "x")
    assert answer.status_code == 401
    assert sessions.COOKIE_NAME not in client.cookies
