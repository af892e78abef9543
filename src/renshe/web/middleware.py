"""The middleware stack and the exception handlers.

Order, outermost first: request context → security headers → bad input → auth → csrf → flash
→ handler.

Litestar runs ``Litestar(middleware=...)`` only for requests that matched a route, so the first
two are not in that list: :func:`wrap` puts them around the whole application (router and its
exception handler included), which gives a 404 for an unknown path, a 405, and an error raised
inside auth the same request id, language and security headers as any page. :func:`stack` is
the per-route part: authentication and CSRF from :mod:`renshe.accounts.middleware` (they need the
matched route handler; auth also binds the principal's tenant and user into the log context),
preceded by :class:`renshe.web.bad_input.BadInputMiddleware` (NUL bytes, too deep JSON: 400).
"""

from __future__ import annotations

import importlib
from typing import Any

from litestar.types import ASGIApp

from renshe.settings import Settings
from renshe.web.bad_input import BadInputMiddleware
from renshe.web.errors import handle_exception
from renshe.web.flash import FlashMiddleware
from renshe.web.request_context import RequestContextMiddleware
from renshe.web.security_headers import SecurityHeadersMiddleware

ACCOUNTS_MIDDLEWARE = "renshe.accounts.middleware"


def wrap(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Wrap the whole ASGI application in the request-context and security-header middleware
    (HSTS in production only)."""
    return RequestContextMiddleware(SecurityHeadersMiddleware(app, hsts=settings.production))


def _accounts_middleware() -> tuple[Any, Any] | None:
    try:
        module = importlib.import_module(ACCOUNTS_MIDDLEWARE)
    except ModuleNotFoundError as exc:
        if exc.name == ACCOUNTS_MIDDLEWARE:  # accounts not installed in this build
            return None
        raise
    return module.AuthMiddleware, module.CsrfMiddleware


def stack(settings: Settings) -> list[Any]:
    """Per-route middleware, outermost first: bad input → auth → csrf → flash messages (none of
    the last three in a build without accounts: no sessions)."""
    accounts = _accounts_middleware()
    return [BadInputMiddleware, *((*accounts, FlashMiddleware) if accounts else ())]


def exception_handlers() -> dict[Any, Any]:
    # One handler for everything: it classifies the exception itself (see renshe.web.errors).
    return {Exception: handle_exception}
