"""Authentication and CSRF middleware (ASGI, per route: they see the matched route handler).

``AuthMiddleware``: browser paths read the ``renshe_session`` cookie, ``/api/`` paths read only
``Authorization: Bearer`` (cookies are ignored there, which is why the API needs no CSRF check).
It sets ``scope["principal"]`` (a :class:`Principal` or None) and, for a browser session,
``scope["renshe_session"]``. A presented session that has expired leads to ``/login`` with a
"session expired" notice when the page needs a login; a user who must change their password is
sent to ``/account/password`` before anything else.

``CsrfMiddleware``: every unsafe method on a browser path needs the token (form field ``_csrf``
or header ``X-CSRF-Token``); the token of the request is put in ``scope["csrf_token"]``.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from renshe.accounts import csrf, sessions, tokens
from renshe.accounts.principal import Principal
from renshe.settings import Settings, get_settings

API_PREFIX = "/api/"
PASSWORD_PATH = "/account/password"  # noqa: S105 - a path
# Reachable while a password change is pending.
ALLOWED_WHILE_MUST_CHANGE = frozenset({PASSWORD_PATH, "/logout"})
CSRF_FAILED = "The form has expired or did not come from this site. Please reload the page and try again."
MAX_FORM_BYTES = 64 * 1024 * 1024


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def cookie(scope: Scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def cookie_header(settings: Settings, name: str, value: str, *, max_age: int | None = None) -> str:
    parts = [f"{name}={value}", "Path=/", "HttpOnly", "SameSite=Lax"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if settings.secure_cookies:
        parts.append("Secure")
    return "; ".join(parts)


def is_api(scope: Scope) -> bool:
    return str(scope.get("path", "")).startswith(API_PREFIX)


def needs_login(scope: Scope) -> bool:
    """Whether the matched handler is guarded by a login guard of :mod:`renshe.accounts.guards`."""
    handler = scope.get("route_handler")
    if handler is None:
        return False
    # Litestar wraps resolved guards in AsyncCallable (the function is its ``func``).
    return any(getattr(getattr(g, "func", g), "requires_login", False) for g in handler.resolve_guards())


async def _redirect(scope: Scope, send: Send, location: str, extra: list[str]) -> None:
    """303 for a browser; for HTMX a 200 with ``HX-Redirect`` (htmx does not follow 3xx itself)."""
    htmx = header(scope, b"hx-request") == "true"
    headers = [(b"content-length", b"0")]
    headers.append((b"hx-redirect" if htmx else b"location", location.encode()))
    headers.extend((b"set-cookie", c.encode()) for c in extra)
    start: Any = {"type": "http.response.start", "status": 200 if htmx else 303, "headers": headers}
    await send(start)
    body: Any = {"type": "http.response.body", "body": b""}
    await send(body)


class AuthMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        state: dict[str, Any] = scope  # type: ignore[assignment]
        state["principal"] = None
        state["renshe_session"] = None
        if is_api(scope):
            auth = header(scope, b"authorization") or ""
            scheme, _, token = auth.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                state["principal"] = await tokens.resolve(token.strip())
            await self._call(scope, receive, send)
            return

        presented = cookie(scope, sessions.COOKIE_NAME)
        session = await sessions.load(settings, presented) if presented else None
        if presented and session is None:
            # Expired, revoked or made up: forget the cookie, and say so if a login is needed.
            clear = cookie_header(settings, sessions.COOKIE_NAME, "", max_age=0)
            if needs_login(scope):
                target = _path_with_query(scope)
                await _redirect(scope, send, f"/login?expired=1&next={quote(target)}", [clear])
                return
            send = _with_cookie(send, clear)
        if session is not None:
            state["principal"] = session.principal
            state["renshe_session"] = session
            if (
                session.must_change_password
                and needs_login(scope)
                and scope.get("path") not in ALLOWED_WHILE_MUST_CHANGE
            ):
                await _redirect(scope, send, PASSWORD_PATH, [])
                return
        await self._call(scope, receive, send)

    async def _call(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal: Principal | None = cast("dict[str, Any]", scope).get("principal")
        if principal is None:
            await self.app(scope, receive, send)
            return
        with structlog.contextvars.bound_contextvars(
            user=str(principal.user_id), tenant=principal.org_unit.code
        ):
            await self.app(scope, receive, send)


def _path_with_query(scope: Scope) -> str:
    path = str(scope.get("path", "/"))
    query = scope.get("query_string", b"")
    return path + ("?" + query.decode("latin-1") if query else "")


def _with_cookie(send: Send, set_cookie: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message).add("set-cookie", set_cookie)
        await send(message)

    return wrapped


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_api(scope):
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        state: dict[str, Any] = scope  # type: ignore[assignment]
        session = state.get("renshe_session")
        if session is not None:
            expected: str | None = session.csrf_token
        else:
            expected = cookie(scope, csrf.ANON_COOKIE)
            if not csrf.valid_anonymous_token(settings, expected):
                expected = None
        state["csrf_token"] = expected
        if scope.get("method", "GET") in csrf.UNSAFE_METHODS:
            submitted = header(scope, csrf.HEADER)
            if submitted is None:
                body, receive = await _buffer_body(receive)
                submitted = csrf.token_from_form(header(scope, b"content-type") or "", body)
            if not csrf.tokens_match(expected, submitted):
                raise PermissionDeniedException(detail=CSRF_FAILED)
        if expected is None:
            # First visit without a session: hand out a signed token for the login form.
            token = csrf.new_anonymous_token(settings)
            state["csrf_token"] = token
            send = _with_cookie(send, cookie_header(settings, csrf.ANON_COOKIE, token))
        await self.app(scope, receive, send)


async def _buffer_body(receive: Receive) -> tuple[bytes, Any]:
    """Read the whole request body, and give back a ``receive`` that replays it."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise PermissionDeniedException()
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Any:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
