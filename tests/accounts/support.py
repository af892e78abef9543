"""Helpers for the accounts and login-attack tests: users made through the service, the login
form driven through HTTP exactly as a browser does (CSRF token from the page), audit look-ups."""

from __future__ import annotations

import re
import secrets
import time
from typing import Any
from uuid import UUID

import httpx
import pyotp

from renshe.accounts import service
from renshe.accounts.authentication import Origin
from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.redis import get_redis
from renshe.settings import get_settings

PASSWORD = "Correct-Horse-42"
BASE_URL = "http://testserver.local"
CSRF_RE = re.compile(r'name="_csrf" value="([^"]*)"')
TEST_ORIGIN = Origin(operator="test")


def unique(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


async def make_user(
    unit_code: str,
    *roles: Role,
    username: str | None = None,
    password: str = PASSWORD,
    must_change: bool = False,
    totp_secret: str | None = None,
) -> tuple[UUID, str, str | None]:
    """(user id, username, TOTP secret) of a new user created by an operator."""
    name = username or unique(roles[0].value if roles else "user")
    issued = await service.create_user(
        get_settings(),
        None,
        TEST_ORIGIN,
        username=name,
        org_unit=unit_code,
        roles=frozenset(roles),
        display_name="测试用户",
        password=password,
        must_change_password=must_change,
        totp_secret=totp_secret,
    )
    return issued.user_id, name, issued.totp_secret


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def field_error(html: str, field_id: str) -> str:
    """The error message a form page shows under the field with this id (red: Tabler's
    invalid-feedback, the text the field's aria-describedby names)."""
    pattern = rf'<div class="invalid-feedback d-block" id="{re.escape(field_id)}-msg">([^<]*)</div>'
    match = re.search(pattern, html)
    assert match, f"no error at {field_id}"
    return match.group(1)


def field_warning(html: str, field_id: str) -> str:
    """The warning (amber, to confirm rather than fix) a form page shows under the field."""
    pattern = rf'<div class="ui-warning-feedback" id="{re.escape(field_id)}-msg">([^<]*)</div>'
    match = re.search(pattern, html)
    assert match, f"no warning at {field_id}"
    return match.group(1)


async def login_page_token(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    assert page.status_code == 200
    return csrf_from(page.text)


async def login(
    client: httpx.AsyncClient,
    username: str,
    password: str = PASSWORD,
    totp: str | None = None,
    *,
    next_path: str | None = None,
) -> Any:
    token = await login_page_token(client)
    form = {"_csrf": token, "username": username, "password": password}
    if totp is not None:
        form["totp"] = totp
    if next_path is not None:
        form["next"] = next_path
    return await client.post("/login", data=form, follow_redirects=False)


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The code of the step ``offset_steps`` from now. The server accepts one step either side of
    its own, so a code of the previous step (-1) fails when a step boundary passes before the
    server checks it; use 0 for the first code and +1 for a second login within the same step
    (a step's code is accepted once)."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=offset_steps)


async def page_csrf(client: httpx.AsyncClient, path: str = "/account/password") -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_from(page.text)


async def audit_actions(unit_id: UUID, object_id: UUID | str | None = None) -> list[dict[str, Any]]:
    """The audit records of one unit (optionally about one object), oldest first."""
    async with tenant_transaction(TenantContext.district(unit_id)):
        rows = await current_transaction().connection.fetch(
            "SELECT action, actor_username, object_id, after FROM audit_log"
            " WHERE ($1::text IS NULL OR object_id = $1) ORDER BY seq",
            None if object_id is None else str(object_id),
        )
    return [dict(r) for r in rows]


async def unit_id(code: str) -> UUID:
    async with tenant_transaction(TenantContext.none()):
        found: UUID = await current_transaction().connection.fetchval(
            "SELECT id FROM org_units WHERE code = $1", code
        )
    return found


async def set_user(user_id: UUID, **columns: Any) -> None:
    """Edit a user row directly (to move time: a lock that ended, an old password)."""
    sets = ", ".join(f"{k} = ${i + 2}" for i, k in enumerate(columns))
    async with tenant_transaction(TenantContext.none()):
        await current_transaction().connection.execute(
            f"UPDATE users SET {sets} WHERE id = $1", user_id, *columns.values()
        )


async def clear_login_limits() -> None:
    redis = get_redis()
    keys = [k async for k in redis.scan_iter(match="ratelimit:login:*")]
    if keys:
        await redis.delete(*keys)


def new_client(app: Any, ip: str = "192.0.2.10") -> httpx.AsyncClient:
    """Another browser (its own cookies), from ``ip``."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 50000)), base_url=BASE_URL)


async def signed_in(client: httpx.AsyncClient, unit_code: str, *roles: Role) -> tuple[UUID, str]:
    """Create a user with ``roles`` and sign ``client`` in as them (with a TOTP code if needed)."""
    user_id, name, secret = await make_user(unit_code, *roles)
    answer = await login(client, name, totp=code_at(secret) if secret else None)
    assert answer.status_code == 303, answer.text
    return user_id, name


async def post_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any] | None = None, *, from_page: str | None = None
) -> httpx.Response:
    """POST a form the way the page would: with the CSRF token the page carries."""
    token = await page_csrf(client, from_page or "/account/password")
    return await client.post(path, data={"_csrf": token, **(data or {})}, follow_redirects=False)
