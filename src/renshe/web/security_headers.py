"""Security headers on every response (MLPS level 3 defaults, 07-quality "headers").

The Content-Security-Policy allows no inline script or style and nothing from another origin:
HTMX and all other assets are vendored under ``/static`` and configured through
``<meta name="htmx-config">``. Pages and API answers are ``Cache-Control: no-store`` (they carry
personal data); static assets keep the long cache header set by the static files router (their
URLs carry a content hash, see :func:`renshe.web.templating.static_url`).

In production every answer also carries ``Strict-Transport-Security`` (one year, subdomains
included), so a browser that once reached the service over HTTPS never falls back to plain HTTP.
Not in development: the demo runs on ``http://localhost``, and a browser would remember the rule
for that host.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
STATIC_PREFIX = "/static/"
STATIC_CACHE_CONTROL = "public, max-age=31536000, immutable"
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"

HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cross-origin-opener-policy", "same-origin"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = HEADERS + ((("strict-transport-security", STRICT_TRANSPORT_SECURITY),) if hsts else ())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith(STATIC_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in self.headers:
                    # A handler may set a stricter value of its own; it is kept.
                    if name not in headers:
                        headers[name] = value
                ok = 200 <= message["status"] < 400
                if is_static and ok:
                    headers["cache-control"] = STATIC_CACHE_CONTROL
                elif "cache-control" not in headers or (is_static and not ok):
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
