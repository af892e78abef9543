"""Refuse input no handler should ever see (请求内容有误): NUL bytes and absurdly deep JSON.

PostgreSQL refuses a NUL byte in any ``text`` value (``invalid byte sequence``), Python's file
APIs raise on one (``embedded null byte``), and no form or API field has a use for it; msgspec
recurses into nested JSON until Python's recursion limit. Rather than let each of these surface
as a 500 somewhere deep in a handler, this per-route middleware answers **400** first, through the
application's one exception handler (problem+json under ``/api``, a Chinese error page otherwise):

* a NUL (``%00``) in the path or the query string;
* a NUL in a JSON body (raw or as ``\\u0000``) or a form body (``%00``);
* JSON nested deeper than :data:`MAX_JSON_DEPTH`.

File uploads (``multipart/form-data``, ``application/octet-stream``) are not scanned: a
spreadsheet legitimately contains NUL bytes, and the spreadsheet reader has limits of its own.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar.types import ASGIApp, Receive, ReceiveMessage, Scope, Send

from renshe.errors import BadInput
from renshe.i18n import lazy

NUL_REFUSED = lazy(
    "The request contains a NUL character (\\0), which is not allowed. Remove it and try again."
)
TOO_DEEP = lazy("The request body is nested too deeply (at most %(max)s levels).")
MAX_JSON_DEPTH = 64
# Bodies larger than this are not buffered here; Litestar's own body limit answers 413 first.
MAX_SCANNED_BYTES = 16 * 1024 * 1024
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def has_nul(raw: bytes) -> bool:
    """A NUL byte in ``raw`` once percent-decoded (a query string or a form body)."""
    return b"\x00" in raw or b"\x00" in unquote_to_bytes(raw)


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` (brackets inside strings ignored)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > limit:
            return True
    return False


def check_body(content_type: str, body: bytes) -> None:
    """Raise :class:`BadInput` for a NUL or too deep nesting in a JSON or form body."""
    if content_type == "application/json" or content_type.endswith("+json"):
        if b"\x00" in body or _JSON_NUL.search(body):
            raise BadInput(NUL_REFUSED)
        if json_too_deep(body):
            raise BadInput(TOO_DEEP, max=MAX_JSON_DEPTH)
    elif content_type == "application/x-www-form-urlencoded" and has_nul(body):
        raise BadInput(NUL_REFUSED)


def _scanned(content_type: str) -> bool:
    return content_type in ("application/json", "application/x-www-form-urlencoded") or content_type.endswith(
        "+json"
    )


class BadInputMiddleware:
    """Outermost of the per-route stack (its exceptions reach the exception handler)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in str(scope.get("path", "")) or has_nul(scope.get("query_string", b"")):
            raise BadInput(NUL_REFUSED)
        content_type = _content_type(scope)
        if scope.get("method") in _BODY_METHODS and _scanned(content_type):
            body, receive, complete = await _buffer(receive)
            if complete:
                check_body(content_type, body)
        await self.app(scope, receive, send)


async def _buffer(receive: Receive) -> tuple[bytes, Receive, bool]:
    """The body (up to :data:`MAX_SCANNED_BYTES`), a ``receive`` that replays it, and whether
    the whole body was read."""
    chunks: list[bytes] = []
    size = 0
    more = True
    while more and size <= MAX_SCANNED_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    pending: list[Any] = [{"type": "http.request", "body": body, "more_body": more}]

    async def replay() -> ReceiveMessage:
        if pending:
            message: ReceiveMessage = pending.pop()
            return message
        return await receive()

    return body, replay, not more
