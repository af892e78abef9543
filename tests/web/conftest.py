"""An application with a few extra routes that fail on purpose, and a way to act as a role.

``as_role`` does not go through the login form (the accounts tests attack that): a test-only
middleware, placed after auth and CSRF in the per-route stack, puts a Principal of the asked
role into the scope, exactly where the real auth middleware puts one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from litestar import Litestar, get, post

from renshe.accounts.principal import OrgUnitRef, Principal, Role
from renshe.errors import Conflict, NotFound, ValidationFailed

BASE_URL = "http://renshe.test"
TEST_ROLE_HEADER = b"x-test-role"
PENGJIANG = OrgUnitRef(
    id=uuid.UUID("00000000-0000-4000-8000-000000440703"),
    code="440703",
    kind="district",
    name_zh="蓬江区人力资源和社会保障局",
    name_en="Pengjiang District HRSS Bureau",
)
JIANGMEN = OrgUnitRef(
    id=uuid.UUID("00000000-0000-4000-8000-000000440700"),
    code="440700",
    kind="city",
    name_zh="江门市人力资源和社会保障局",
    name_en="Jiangmen Municipal HRSS Bureau",
)
CITY_LEVEL = {Role.CITY_ANALYST, Role.CITY_ADMIN, Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR}


def principal_for(role: Role) -> Principal:
    unit = JIANGMEN if role in CITY_LEVEL else PENGJIANG
    return Principal(
        user_id=uuid.uuid4(),
        username=f"test_{role.value}",
        display_name="王小明",
        org_unit=unit,
        roles=frozenset({role}),
        readable_units=frozenset({unit.id}),
    )


class ActAsRole:
    """Test only: ``X-Test-Role: clerk`` makes the request act as a clerk of Pengjiang."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        for key, value in scope.get("headers", ()):
            if key == TEST_ROLE_HEADER:
                scope["principal"] = principal_for(Role(value.decode()))
        await self.app(scope, receive, send)


@get("/_test/validation", include_in_schema=False)
async def page_validation() -> None:
    raise ValidationFailed({"amount_fen": "Enter an amount in yuan."})


@get("/api/v1/_test/validation")
async def api_validation() -> None:
    raise ValidationFailed({"amount_fen": "Enter an amount in yuan.", "limit": "unknown msgid"})


@get("/api/v1/_test/not-found")
async def api_not_found() -> None:
    raise NotFound()


@post("/api/v1/_test/conflict")
async def api_conflict() -> None:
    raise Conflict("This record was changed by someone else or already exists. Reload and try again.")


@get("/_test/boom", include_in_schema=False)
async def page_boom() -> None:
    raise RuntimeError("secret internal detail 110101199003070011")


@get("/api/v1/_test/boom")
async def api_boom() -> None:
    raise RuntimeError("secret internal detail 110101199003070011")


@get("/_test/db-down", include_in_schema=False)
async def page_db_down() -> None:
    import asyncpg

    raise asyncpg.exceptions.CannotConnectNowError("the database system is starting up")


@get("/_test/redis-down", include_in_schema=False)
async def page_redis_down() -> None:
    import redis.exceptions

    raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1.")


@get("/_test/forbidden", include_in_schema=False)
async def page_forbidden() -> None:
    from litestar.exceptions import PermissionDeniedException

    raise PermissionDeniedException()


@get("/_test/login-required", include_in_schema=False)
async def page_login_required() -> None:
    from litestar.exceptions import NotAuthorizedException

    raise NotAuthorizedException()


@get("/api/v1/_test/login-required")
async def api_login_required() -> None:
    from litestar.exceptions import NotAuthorizedException

    raise NotAuthorizedException()


TEST_ROUTES = [
    page_validation,
    api_validation,
    api_not_found,
    api_conflict,
    page_boom,
    api_boom,
    page_db_down,
    page_redis_down,
    page_forbidden,
    page_login_required,
    api_login_required,
]


def build_test_app() -> Litestar:
    from renshe.web import app as web_app
    from renshe.web import middleware

    real_stack = middleware.stack

    def stack_with_role(settings: Any) -> list[Any]:
        return [*real_stack(settings), ActAsRole]

    mp = pytest.MonkeyPatch()
    mp.setattr(middleware, "stack", stack_with_role)
    try:
        app = web_app.create_app()
    finally:
        mp.undo()
    for handler in TEST_ROUTES:
        app.register(handler)
    return app


@pytest.fixture(scope="session")
def test_app(db: None) -> Litestar:
    return build_test_app()


@pytest_asyncio.fixture(loop_scope="session")
async def client(test_app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    # httpx over ASGITransport runs the app in the test's own event loop, where the session's
    # database pool and Redis client live (Litestar's AsyncTestClient runs it in another loop).
    transport = httpx.ASGITransport(app=test_app, client=("192.0.2.40", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


@get("/_test/db-query", include_in_schema=False)
async def page_db_query() -> dict[str, int]:
    """Uses the database without catching anything (for the recovery test)."""
    from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction

    async with tenant_transaction(TenantContext.none()):
        value = await current_transaction().connection.fetchval("SELECT count(*) FROM org_units")
    return {"org_units": int(value)}


TEST_ROUTES.append(page_db_query)
