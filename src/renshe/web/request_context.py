"""Per-request context: request id (请求编号), locale, log context and request metrics.

This middleware wraps the *whole* application (see :func:`renshe.web.middleware.wrap`), so every
answer — including a 404 for a path no route matches — carries ``X-Request-ID`` and is rendered
in the user's language.

* The request id comes from a trustworthy-looking ``X-Request-ID`` (a reverse proxy's) or is
  generated; it is returned in the response header, bound into structlog's context variables,
  kept in ``scope["state"]["request_id"]`` and in :data:`current_request_id`.
* The locale comes from the ``lang`` cookie, else ``Accept-Language``
  (:func:`renshe.i18n.negotiate`), and is set in :data:`renshe.i18n.current_locale`.
"""

from __future__ import annotations

import contextvars
import re
import secrets
import time
from typing import Any

import structlog
from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from renshe import i18n
from renshe.web import metrics

log = structlog.get_logger("renshe.web.request")

REQUEST_ID_HEADER = "x-request-id"
LANG_COOKIE = "lang"
# A proxy's id is accepted only if it is short and plain (it ends up in logs and pages).
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "renshe_request_id", default=None
)


def new_request_id() -> str:
    return secrets.token_hex(12)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def cookie_value(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def resolve_locale(scope: Scope) -> str:
    """The ``lang`` cookie when it names a supported locale, else ``Accept-Language``."""
    chosen = cookie_value(scope, LANG_COOKIE)
    if chosen is not None and chosen in i18n.LOCALES:
        return chosen
    return i18n.negotiate(_header(scope, b"accept-language"))


def request_id_of(scope: Scope | Any) -> str | None:
    """The request id of a scope (or of a Litestar ``Request``)."""
    raw_scope = getattr(scope, "scope", scope)
    state = raw_scope.get("state") or {}
    return state.get("request_id")


class RequestContextMiddleware:
    """Outermost middleware: request id, locale, log context, request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = offered if offered and _ACCEPTABLE_ID.match(offered) else new_request_id()
        locale = resolve_locale(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["locale"] = locale

        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        locale_token = i18n.current_locale.set(locale)
        id_token = current_request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                headers[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            # The route template, never the raw path: ids stay out of metric labels and logs.
            route = str(scope.get("path_template") or metrics.UNMATCHED)
            method = str(scope.get("method", "GET"))
            metrics.observe_request(method, route, status, elapsed)
            log.info(
                "http.request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 1),
            )
            current_request_id.reset(id_token)
            i18n.current_locale.reset(locale_token)
            structlog.contextvars.clear_contextvars()
