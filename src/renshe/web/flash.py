"""Flash messages (操作提示): a one-time notice after an action, kept with the browser session.

A controller that has done what was asked calls :func:`push` (level and an English msgid with
its parameters) before it redirects. The message waits in Redis under ``flash:<sha256(session
id)>`` (a list, like the session key never the raw id) and is shown by the next full page the
same session renders: templates read the global ``flashes``, a list of ``(level, text)`` in the
reader's language, and reading it removes exactly the messages read. So a reload does not show
it again (unlike the ``?done=`` query it replaces), and no other session or user ever sees it.

Only a plain page GET loads the queue (:class:`FlashMiddleware`): HTMX requests (fragments,
polls) and form posts leave it alone, so a message pushed during an HTMX request is shown by the
next page the browser renders — which is what HTMX actions here do anyway (``HX-Redirect`` or
``HX-Refresh``). Messages are stored as msgid + parameters and translated when shown, so a
language switch in between is harmless. An error page rendered by the exception handler runs
outside the middleware and leaves the queue for the next page.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from renshe import i18n
from renshe.redis import get_redis
from renshe.settings import get_settings

Level = Literal["success", "info", "warning", "danger"]
LEVELS: tuple[Level, ...] = ("success", "info", "warning", "danger")
# A page shows at most this many; older ones beyond it are dropped when a new one is pushed.
MAX_QUEUED = 10


def _key(session_id: str) -> str:
    return "flash:" + hashlib.sha256(session_id.encode()).hexdigest()


def _session_id(request: Any) -> str | None:
    session = request.scope.get("renshe_session")
    return getattr(session, "id", None)


async def push_to(session_id: str, level: Level, msgid: str, **params: object) -> None:
    """Queue a message for the session ``session_id`` (a fresh session after a password change)."""
    if level not in LEVELS:
        raise ValueError(f"unknown flash level {level!r}")
    item = json.dumps({"level": level, "msgid": msgid, "params": params}, ensure_ascii=False, default=str)
    key = _key(session_id)
    async with get_redis().pipeline(transaction=True) as pipe:
        pipe.rpush(key, item.encode())
        pipe.ltrim(key, -MAX_QUEUED, -1)
        # never outlives the session it belongs to
        pipe.expire(key, get_settings().session_absolute_hours * 3600)
        await pipe.execute()


async def push(request: Any, level: Level, msgid: str, **params: object) -> None:
    """Queue a message for the caller's browser session (nothing for a bearer-token caller)."""
    session_id = _session_id(request)
    if session_id is not None:
        await push_to(session_id, level, msgid, **params)


def _text(item: dict[str, Any]) -> str:
    return i18n.translate(str(item.get("msgid", "")), item.get("params") or None)


@dataclass(slots=True)
class _Pending:
    """The messages loaded for this page request, and whether a template has read them."""

    key: str
    raw: list[bytes]
    shown: bool = False
    items: list[tuple[str, str]] = field(default_factory=list)

    def read(self) -> list[tuple[str, str]]:
        if not self.shown:
            self.shown = True
            for raw in self.raw:
                try:
                    item = json.loads(raw)
                except ValueError:
                    continue
                level = item.get("level")
                self.items.append((level if level in LEVELS else "info", _text(item)))
        return self.items


_pending: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar("renshe_flash", default=None)


class FlashView:
    """The template global ``flashes``: iterating (or ``length``) reads the request's messages
    and marks them shown; ``{% if flashes %}`` alone does not."""

    def _items(self) -> list[tuple[str, str]]:
        pending = _pending.get()
        return pending.read() if pending is not None else []

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __bool__(self) -> bool:
        pending = _pending.get()
        return bool(pending and pending.raw)

    def __getitem__(self, index: int) -> tuple[str, str]:
        return self._items()[index]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def is_page_request(scope: Scope) -> bool:
    """A full page load by a browser: GET, not an HTMX request."""
    return scope.get("method") == "GET" and _header(scope, b"hx-request") != "true"


class FlashMiddleware:
    """Per route, after authentication: load the session's messages for a page GET, and remove
    the ones a template read before the response starts (so a quick reload cannot see them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = getattr(scope.get("renshe_session"), "id", None)
        if scope["type"] != "http" or session_id is None or not is_page_request(scope):
            await self.app(scope, receive, send)
            return
        key = _key(session_id)
        queued = await get_redis().lrange(key, 0, MAX_QUEUED - 1)
        pending = _Pending(key, [q if isinstance(q, bytes) else q.encode() for q in queued])
        if not pending.raw:
            await self.app(scope, receive, send)
            return

        async def send_after_reading(message: Message) -> None:
            if message["type"] == "http.response.start" and pending.shown and pending.raw:
                # exactly the ones read: a message pushed meanwhile stays for the next page
                await get_redis().ltrim(key, len(pending.raw), -1)
                pending.raw = []
            await send(message)

        token = _pending.set(pending)
        try:
            await self.app(scope, receive, send_after_reading)
        finally:
            _pending.reset(token)
