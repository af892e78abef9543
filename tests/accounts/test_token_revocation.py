"""API tokens end with the events that end browser sessions: an own password change, an admin's
password reset, a deactivation, a role change and a second-factor reset. The tokens are revoked in
the database, so a reactivated user (or one who has since set a new password) does not get them
back. Every event is driven through the real pages, every token through the real API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from uuid import UUID

import httpx

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from tests.accounts.support import (
    PASSWORD,
    audit_actions,
    code_at,
    login,
    make_user,
    new_client,
    post_form,
    signed_in,
    unit_id,
)

NEW_PASSWORD = "Brand-New-Pass-9"


async def _token(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> str:
    answer = await client.post("/api/v1/auth/token", json={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


async def _me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})).status_code


async def _live_tokens(user_id: UUID) -> int:
    async with tenant_transaction(TenantContext.none()):
        count: int = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL", user_id
        )
    return count


async def _change_own_password(client: httpx.AsyncClient, current: str, new: str) -> None:
    answer = await post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "repeat_password": new},
    )
    assert answer.status_code == 303, answer.text


@asynccontextmanager
async def _as_admin(app, unit: str) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with new_client(app) as admin:
        await signed_in(admin, unit, Role.DISTRICT_ADMIN)
        yield admin


async def test_changing_ones_own_password_revokes_ones_tokens(client, app):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    first, second = await _token(client, name), await _token(client, name)
    async with new_client(app) as browser:
        assert (await login(browser, name)).status_code == 303
        await _change_own_password(browser, PASSWORD, NEW_PASSWORD)
    assert await _me(client, first) == 401 and await _me(client, second) == 401
    assert await _live_tokens(user_id) == 0
    # a token asked for with the new password works
    assert await _me(client, await _token(client, name, NEW_PASSWORD)) == 200
    revoked = [
        r
        for r in await audit_actions(await unit_id("440703"), user_id)
        if r["action"] == "auth.tokens_revoked"
    ]
    assert revoked and '"count": 2' in revoked[-1]["after"]


async def test_an_admin_password_reset_revokes_tokens_for_good(client, app):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    token = await _token(client, name)
    page = f"/admin/users/{user_id}"
    async with _as_admin(app, "440703") as admin:
        reset = await post_form(admin, f"{page}/reset-password", from_page=page)
        assert reset.status_code == 200
    assert await _me(client, token) == 401
    assert await _live_tokens(user_id) == 0
    # the user sets a new password: the token from before the reset still does not answer
    temporary = reset.text.split('<code class="secret">')[1].split("</code>")[0]
    async with new_client(app) as browser:
        assert (await login(browser, name, temporary)).status_code == 303
        await _change_own_password(browser, temporary, NEW_PASSWORD)
    assert await _me(client, token) == 401


async def test_deactivation_revokes_tokens_and_reactivation_does_not_bring_them_back(client, app):
    user_id, name, _ = await make_user("440704", Role.CLERK)
    token = await _token(client, name)
    page = f"/admin/users/{user_id}"
    async with _as_admin(app, "440704") as admin:
        assert (await post_form(admin, f"{page}/deactivate", from_page=page)).status_code == 303
        assert await _me(client, token) == 401
        assert await _live_tokens(user_id) == 0
        assert (await post_form(admin, f"{page}/reactivate", from_page=page)).status_code == 303
    assert await _me(client, token) == 401
    assert await _me(client, await _token(client, name)) == 200  # the reactivated user signs in anew


async def test_a_role_change_revokes_tokens(client, app):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    token = await _token(client, name)
    page = f"/admin/users/{user_id}"
    async with _as_admin(app, "440703") as admin:
        answer = await post_form(admin, f"{page}/roles", {"roles": ["clerk", "reviewer"]}, from_page=page)
        assert answer.status_code == 303
    assert await _me(client, token) == 401
    assert await _live_tokens(user_id) == 0
    fresh = await _token(client, name)
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"})
    assert me.json()["roles"] == ["clerk", "reviewer"]


async def test_a_second_factor_reset_revokes_tokens(client, app):
    user_id, name, key = await make_user("440703", Role.DISTRICT_ADMIN)
    assert key
    answer = await client.post(
        "/api/v1/auth/token", json={"username": name, "password": PASSWORD, "totp": code_at(key)}
    )
    token = answer.json()["access_token"]
    assert await _me(client, token) == 200
    page = f"/admin/users/{user_id}"
    async with new_client(app) as sysadmin:
        await signed_in(sysadmin, "440700", Role.SYSADMIN)
        assert (await post_form(sysadmin, f"{page}/reset-second-factor", from_page=page)).status_code == 200
    assert await _me(client, token) == 401
    assert await _live_tokens(user_id) == 0


async def test_other_users_tokens_are_untouched(client, app):
    user_id, name, _ = await make_user("440703", Role.CLERK)
    _, bystander, _ = await make_user("440703", Role.CLERK)
    kept = await _token(client, bystander)
    await _token(client, name)
    page = f"/admin/users/{user_id}"
    async with _as_admin(app, "440703") as admin:
        assert (await post_form(admin, f"{page}/deactivate", from_page=page)).status_code == 303
    assert await _me(client, kept) == 200
