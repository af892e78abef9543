"""API authentication: ``POST /api/v1/auth/token``, ``POST /api/v1/auth/revoke``, ``GET /api/v1/me``.

The token endpoint applies exactly the browser's rules (lockout, rate limits, second factor for
admin roles, one generic failure). Tokens are opaque; only their SHA-256 is stored.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, get, post
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.params import JSONBody

from renshe.accounts import tokens
from renshe.accounts.authentication import GENERIC_FAILURE, LoginFailed, Origin, authenticate
from renshe.accounts.guards import principal_of, requires_login
from renshe.accounts.principal import Role
from renshe.api.openapi import AnonymousOperation
from renshe.i18n import current_locale
from renshe.settings import get_settings
from renshe.web.request_context import request_id_of

PASSWORD_CHANGE_REQUIRED = "A password change is required: sign in on the web page and change it first."  # noqa: S105


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str
    totp: str | None = None


class TokenAnswer(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int


class OrgUnitOut(msgspec.Struct):
    code: str
    name: str


class MeAnswer(msgspec.Struct):
    username: str
    display_name: str  # as pages greet the user (the username when none is set)
    org_unit: OrgUnitOut
    roles: list[str]


def _origin(request: Request[Any, Any, Any]) -> Origin:
    return Origin(ip=request.client.host if request.client else None, request_id=request_id_of(request))


@post(
    "/api/v1/auth/token", name="api.auth.token", tags=["auth"], status_code=200,
    operation_class=AnonymousOperation, opt={"problems": (401, 403, 429), "decoder_only": True},
)  # fmt: skip
async def issue_token(request: Request[Any, Any, Any], data: JSONBody[TokenRequest]) -> TokenAnswer:
    """Exchange username, password (and TOTP code for admin roles) for a bearer token."""
    settings = get_settings()
    try:
        result = await authenticate(
            settings, data.username[:200], data.password[:1024], data.totp, _origin(request)
        )
    except LoginFailed as exc:
        if exc.rate_limited:
            raise TooManyRequestsException(detail=GENERIC_FAILURE) from None
        raise NotAuthorizedException(detail=GENERIC_FAILURE) from None
    if result.must_change_password:
        raise PermissionDeniedException(detail=PASSWORD_CHANGE_REQUIRED)
    token, expires_in = await tokens.issue(settings, result.principal, _origin(request))
    return TokenAnswer(
        access_token=token,
        token_type="bearer",  # noqa: S106 - the OAuth token type
        expires_in=expires_in,
    )


@post("/api/v1/auth/revoke", name="api.auth.revoke", tags=["auth"], status_code=204, guards=[requires_login])
async def revoke_token(request: Request[Any, Any, Any]) -> None:
    """Revoke the bearer token this request presents."""
    principal = principal_of(request)
    token = (request.headers.get("authorization") or "").partition(" ")[2].strip()
    await tokens.revoke(token, principal, _origin(request))


@get("/api/v1/me", name="api.me", tags=["auth"], guards=[requires_login], sync_to_thread=False)
def me(request: Request[Any, Any, Any]) -> MeAnswer:
    """Who the token belongs to: username, display name, org unit and roles."""
    p = principal_of(request)
    name = p.org_unit.name_en if current_locale.get() == "en" else p.org_unit.name_zh
    order = list(Role)
    return MeAnswer(
        username=p.username,
        display_name=p.display_name or p.username,
        org_unit=OrgUnitOut(code=p.org_unit.code, name=name),
        roles=[r.value for r in sorted(p.roles, key=order.index)],
    )


ROUTES = [issue_token, revoke_token, me]
