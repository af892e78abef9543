"""Real users, signed in without the login form (the accounts tests attack that form)."""

from __future__ import annotations

import secrets

import httpx

from renshe.accounts import sessions, tokens
from renshe.accounts.authentication import USER_COLUMNS, Origin, build_principal
from renshe.accounts.principal import Principal, Role
from renshe.accounts.service import create_user
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.settings import get_settings

PASSWORD = "Xq7#pLm2!vR9zz"
BASE_URL = "http://testserver.local"


async def person(code: str, role: Role) -> Principal:
    """A new active user of org unit ``code`` holding ``role``."""
    username = f"t_{role.value}_{secrets.token_hex(4)}"
    issued = await create_user(
        get_settings(), None, Origin(operator="test"), username=username, org_unit=code,
        roles=frozenset({role}), password=PASSWORD, must_change_password=False,
    )  # fmt: skip
    async with tenant_transaction(TenantContext.none()):
        user = await current_transaction().connection.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = $1",
            issued.user_id,
        )
        return await build_principal(user, frozenset({role}))


async def sign_in(client: httpx.AsyncClient, principal: Principal) -> dict[str, str]:
    """Give the browser a live session; returns the CSRF header for unsafe requests."""
    session = await sessions.create(get_settings(), principal)
    client.cookies.set(sessions.COOKIE_NAME, session.id, domain="testserver.local")
    return {"X-CSRF-Token": session.csrf_token}


async def bearer(principal: Principal) -> dict[str, str]:
    token, _ = await tokens.issue(get_settings(), principal, Origin())
    return {"Authorization": f"Bearer {token}"}
