"""RFC 9457 problem details (``application/problem+json``) for everything under ``/api``.

Every API error answers::

    {"type": "urn:renshe:problem:validation-failed", "title": "…", "status": 422,
     "detail": "…", "instance": "/api/v1/…", "request_id": "…",
     "errors": [{"field": "documents[0].number", "message": "…"}]}

``type`` is stable for programs to branch on; ``title`` and ``detail`` are in the caller's
language (``Accept-Language``, Chinese by default); ``errors`` is present only for field errors;
``instance`` is the path without its query string (queries may hold search terms). A domain error
may add extension members (RFC 9457 §3.2), e.g. ``existing_id`` on a duplicate's 409.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from litestar import Response

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:renshe:problem:"
API_PREFIX = "/api"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class FieldError(msgspec.Struct):
    """One bad field: its path (``documents[0].number``, ``row 12``) and the message."""

    field: str
    message: str


class ProblemDetails(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem; a domain error may add extension members (e.g. ``existing_id``)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


def problem_response(
    *,
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str,
    request_id: str | None,
    errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> Response[bytes]:
    body = ProblemDetails(
        type=TYPE_PREFIX + slug,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        request_id=request_id,
        errors=[FieldError(k, v) for k, v in errors.items()] if errors else None,
    )
    content = msgspec.json.encode(body)
    if extensions:
        members = msgspec.json.decode(content)
        # the standard members win over an extension of the same name
        content = msgspec.json.encode({**dict(extensions), **members})
    return Response(
        content=content,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(headers or {}),
    )
