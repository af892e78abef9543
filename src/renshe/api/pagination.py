"""Cursor pagination: ``?limit=`` (max 200) and ``?cursor=``, answering ``{"items", "next_cursor"}``.

A cursor is an opaque, URL-safe encoding of the sort key of the last row served (keyset paging,
so a page is stable while rows are added and costs the same on page 1 and page 1000).
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from renshe.api.openapi import query_rule
from renshe.errors import ValidationFailed
from renshe.i18n import lazy

T = TypeVar("T")
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
# ``?limit=`` as the document states it; clamp_limit enforces it with a 422 in the caller's language
Limit = Annotated[
    int | None,
    query_rule("Page size, 1–200 (default 50).", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT),
]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def clamp_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if limit < 1 or limit > MAX_LIMIT:
        raise ValidationFailed({"limit": lazy("Limit must be between 1 and 200.")})
    return limit


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


BAD_CURSOR = lazy("This is not a cursor this API issued.")


def bad_cursor() -> ValidationFailed:
    """The one answer to a cursor this API did not issue (undecodable or of the wrong shape)."""
    return ValidationFailed({"cursor": BAD_CURSOR})


def decode_cursor(cursor: str | None) -> list[Any] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (ValueError, json.JSONDecodeError):
        raise bad_cursor() from None
    if not isinstance(value, list):
        raise bad_cursor()
    return value
