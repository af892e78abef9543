"""Attacks on sign-in (07-quality "Security"): lockout, enumeration, fixation, CSRF, expired
sessions, the second factor, rate limits, and sessions that must die with the user's access.

Everything goes through HTTP against the real application, PostgreSQL and Redis."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from renshe.accounts import passwords, sessions
from renshe.accounts.principal import Role
from tests.accounts.support import (
    PASSWORD,
    audit_actions,
    clear_login_limits,
    code_at,
    login,
    make_user,
    new_client,
    page_csrf,
    post_form,
    set_user,
    signed_in,
    unique,
    unit_id,
)


@pytest_asyncio.fixture(loop_scope="session")
async def app(db):
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(loop_scope="session")
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    await clear_login_limits()  # every test starts with clean rate-limit counters
    async with new_client(app) as c:
        yield c


GENERIC = "用户名、密码或验证码不正确"  # the start of the one Chinese failure message


def _normalise(html: str, username: str) -> str:
    return html.replace(username, "USERNAME")


# ------------------------------------------------------------------ lockout


async def test_five_failures_lock_the_account_and_secadmin_unlocks(client, app):
    user_id, name, _ = await make_user("440704", Role.CLERK)
    for _ in range(5):
        answer = await login(client, name, "Wrong-Password-1")
        assert answer.status_code == 401
    # the 6th attempt, with the right password, still fails: the account is locked
    answer = await login(client, name)
    assert answer.status_code == 401
    assert GENERIC in answer.text
    actions = [r["action"] for r in await audit_actions(await unit_id("440704"), user_id)]
    assert actions.count("auth.login_failed") == 6
    assert actions.count("auth.lockout") == 1

    async with new_client(app) as sec:
        await signed_in(sec, "440700", Role.SECADMIN)
        listed = await sec.get("/admin/users", params={"status": "locked"})
        assert listed.status_code == 200 and name in listed.text
        answer = await post_form(sec, f"/admin/users/{user_id}/unlock", from_page=f"/admin/users/{user_id}")
        assert answer.status_code == 303
    answer = await login(client, name)
    assert answer.status_code == 303
    assert "user.unlocked" in [r["action"] for r in await audit_actions(await unit_id("440704"), user_id)]


async def test_a_lock_ends_by_itself_after_the_lockout_period(client):
    user_id, name, _ = await make_user("440704", Role.CLERK)
    for _ in range(5):
        await login(client, name, "Wrong-Password-1")
    assert (await login(client, name)).status_code == 401
    # move time: the 30 minutes are over
    await set_user(user_id, locked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert (await login(client, name)).status_code == 303


async def test_clerk_cannot_unlock(client, app):
    user_id, name, _ = await make_user("440704", Role.CLERK)
    for _ in range(5):
        await login(client, name, "Wrong-Password-1")
    async with new_client(app) as admin:
        await signed_in(admin, "440704", Role.DISTRICT_ADMIN)
        answer = await post_form(admin, f"/admin/users/{user_id}/unlock", from_page="/admin/users")
        assert answer.status_code == 403
    assert (await login(client, name)).status_code == 401


# ------------------------------------------------------------------ enumeration


async def test_unknown_wrong_locked_and_inactive_look_the_same(client, real_password_hashing):
    _, wrong_name, _ = await make_user("440705", Role.CLERK)
    locked_id, locked_name, _ = await make_user("440705", Role.CLERK)
    await set_user(locked_id, locked_until=datetime.now(UTC) + timedelta(minutes=30), failed_logins=5)
    inactive_id, inactive_name, _ = await make_user("440705", Role.CLERK)
    await set_user(inactive_id, active=False)
    cases = {
        "unknown": (unique("nobody"), "Whatever-Password-1"),
        "wrong password": (wrong_name, "Wrong-Password-1"),
        "locked (right password)": (locked_name, PASSWORD),
        "inactive (right password)": (inactive_name, PASSWORD),
    }
    bodies = {}
    for case, (name, password) in cases.items():
        before = passwords.verify_calls
        started = time.perf_counter()
        answer = await login(client, name, password)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 401, case
        # every path runs argon2 once (a dummy hash for the unknown name): no timing oracle
        assert passwords.verify_calls - before == 1, case
        assert elapsed > 0.005, case
        bodies[case] = _normalise(answer.text, name)
    assert len(set(bodies.values())) == 1, "the answers differ between cases"
    assert GENERIC in bodies["unknown"]


async def test_api_answers_unknown_and_wrong_alike(client):
    _, name, _ = await make_user("440705", Role.CLERK)
    a = await client.post("/api/v1/auth/token", json={"username": name, "password": "Wrong-Password-1"})
    b = await client.post("/api/v1/auth/token", json={"username": unique("nobody"), "password": "Wrong-1x"})
    assert a.status_code == b.status_code == 401
    strip = ("instance", "request_id")
    assert {k: v for k, v in a.json().items() if k not in strip} == {
        k: v for k, v in b.json().items() if k not in strip
    }


# ------------------------------------------------------------------ fixation


async def test_a_planted_session_id_is_not_adopted(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    planted = "attacker-chosen-session-id-0123456789"
    client.cookies.set(sessions.COOKIE_NAME, planted, domain="testserver.local")
    answer = await login(client, name)
    assert answer.status_code == 303
    issued = client.cookies.get(sessions.COOKIE_NAME)
    assert issued and issued != planted
    assert await sessions.raw_get(planted) is None


async def test_signing_in_again_replaces_the_old_session(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    assert (await login(client, name)).status_code == 303
    first = client.cookies.get(sessions.COOKIE_NAME)
    # an old tab's login form, posted while the session is still alive
    again = await post_form(client, "/login", {"username": name, "password": PASSWORD})
    assert again.status_code == 303
    second = client.cookies.get(sessions.COOKIE_NAME)
    assert first != second
    assert await sessions.raw_get(first) is None  # the pre-login id is dead
    assert await sessions.raw_get(second) is not None


# ------------------------------------------------------------------ CSRF


async def test_unsafe_requests_without_the_token_are_refused(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    # the login form itself
    answer = await client.post("/login", data={"username": name, "password": PASSWORD})
    assert answer.status_code == 403
    assert (await login(client, name)).status_code == 303
    cookie = client.cookies.get(sessions.COOKIE_NAME)
    # missing
    answer = await client.post("/logout", follow_redirects=False)
    assert answer.status_code == 403
    # wrong
    answer = await client.post("/logout", data={"_csrf": "not-the-token"}, follow_redirects=False)
    assert answer.status_code == 403
    # an HTMX request with a wrong header
    answer = await client.post(
        "/logout", headers={"HX-Request": "true", "X-CSRF-Token": "forged"}, follow_redirects=False
    )
    assert answer.status_code == 403
    # another session's token does not fit this session
    async with new_client(client._transport.app) as other:  # type: ignore[attr-defined]
        _, other_name, _ = await make_user("440703", Role.CLERK)
        await login(other, other_name)
        foreign = await page_csrf(other)
    answer = await client.post("/logout", data={"_csrf": foreign}, follow_redirects=False)
    assert answer.status_code == 403
    assert await sessions.raw_get(cookie) is not None  # none of these logged the user out
    # the right token in the HTMX header works
    token = await page_csrf(client)
    answer = await client.post(
        "/logout", headers={"HX-Request": "true", "X-CSRF-Token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert await sessions.raw_get(cookie) is None


async def test_a_forged_anonymous_token_is_refused(client):
    _, name, _ = await make_user("440703", Role.CLERK)
    client.cookies.set("renshe_csrf", "made-up.0123456789abcdef0123456789abcdef", domain="testserver.local")
    answer = await client.post(
        "/login",
        data={"_csrf": "made-up.0123456789abcdef0123456789abcdef", "username": name, "password": PASSWORD},
    )
    assert answer.status_code == 403


# ------------------------------------------------------------------ expiry


@pytest.mark.parametrize("field", ["last_seen", "created_at"])
async def test_an_expired_session_leads_back_to_login(client, settings, field):
    _, name, _ = await make_user("440703", Role.CLERK)
    await login(client, name)
    sid = client.cookies.get(sessions.COOKIE_NAME)
    stored = await sessions.raw_get(sid)
    # idle: last seen 31 minutes ago; absolute: created 8 hours and a minute ago
    age = (
        settings.session_idle_minutes * 60 + 60
        if field == "last_seen"
        else settings.session_absolute_hours * 3600 + 60
    )
    stored[field] = time.time() - age
    if field == "created_at":
        stored["last_seen"] = time.time()  # still active: only the absolute limit is over
    await sessions.raw_put(sid, stored)
    answer = await client.get("/account/password", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?expired=1")
    page = await client.get(answer.headers["location"])
    assert "会话已过期" in page.text
    assert await sessions.raw_get(sid) is None


# ------------------------------------------------------------------ second factor


async def test_admin_needs_a_fresh_valid_totp_code(client):
    _, name, secret = await make_user("440703", Role.DISTRICT_ADMIN)
    assert secret
    assert (await login(client, name)).status_code == 401  # missing
    assert (
        await login(client, name, totp="000000" if code_at(secret) != "000000" else "111111")
    ).status_code == 401
    code = code_at(secret)
    assert (await login(client, name, totp=code)).status_code == 303
    client.cookies.clear()
    assert (await login(client, name, totp=code)).status_code == 401  # replayed
    # one step of drift either way is fine (a code not used before)
    assert (await login(client, name, totp=code_at(secret, 1))).status_code == 303


async def test_admin_without_a_second_factor_cannot_sign_in(client):
    user_id, name, _ = await make_user("440700", Role.SYSADMIN)
    await set_user(user_id, totp_secret_enc=None)
    answer = await login(client, name, totp="123456")
    assert answer.status_code == 401
    assert GENERIC in answer.text
    reasons = [r["after"] for r in await audit_actions(await unit_id("440700"), user_id)]
    assert any("totp_not_configured" in (a or "") for a in reasons)


# ------------------------------------------------------------------ rate limits


async def test_one_address_trying_many_names_is_slowed_down(app):
    _, name, _ = await make_user("440781", Role.CLERK)
    async with new_client(app, ip="198.51.100.7") as attacker:
        for _ in range(20):
            assert (await login(attacker, unique("guess"), "Guess-Password-1")).status_code == 401
        before = passwords.verify_calls
        # even the right password is refused from this address now, without checking it
        answer = await login(attacker, name)
        assert answer.status_code == 401 and GENERIC in answer.text
        assert passwords.verify_calls == before
    async with new_client(app, ip="198.51.100.8") as someone_else:
        assert (await login(someone_else, name)).status_code == 303


async def test_one_name_tried_from_many_addresses_is_slowed_down(app):
    target = unique("ghost")
    for i in range(10):
        async with new_client(app, ip=f"203.0.113.{i + 1}") as c:
            assert (await login(c, target, "Guess-Password-1")).status_code == 401
    async with new_client(app, ip="203.0.113.99") as c:
        before = passwords.verify_calls
        assert (await login(c, target, "Guess-Password-1")).status_code == 401
        assert passwords.verify_calls == before
        answer = await c.post("/api/v1/auth/token", json={"username": target, "password": "Guess-1aaaaa"})
        assert answer.status_code == 429


# ------------------------------------------------------------------ sessions die with access


@pytest.mark.parametrize("change", ["deactivate", "roles", "lockout"])
async def test_sessions_end_when_access_is_taken_away(client, app, change):
    user_id, name, _ = await make_user("440783", Role.CLERK)
    assert (await login(client, name)).status_code == 303
    assert (await client.get("/account/password")).status_code == 200
    if change == "lockout":
        async with new_client(app, ip="192.0.2.77") as attacker:
            for _ in range(5):
                await login(attacker, name, "Wrong-Password-1")
    else:
        async with new_client(app) as admin:
            await signed_in(admin, "440783", Role.DISTRICT_ADMIN)
            if change == "deactivate":
                answer = await post_form(
                    admin, f"/admin/users/{user_id}/deactivate", from_page=f"/admin/users/{user_id}"
                )
            else:
                answer = await post_form(
                    admin,
                    f"/admin/users/{user_id}/roles",
                    {"roles": ["reviewer"]},
                    from_page=f"/admin/users/{user_id}",
                )
            assert answer.status_code == 303, answer.text
    answer = await client.get("/account/password", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")
