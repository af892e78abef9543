"""CSRF tokens (跨站请求伪造防护).

Logged in: a synchronizer token kept in the server-side session. Anonymous (the login form): a
signed double-submit cookie ``renshe_csrf`` (random value + HMAC with ``RENSHE_SECRET_KEY``)
whose value the form echoes. Every unsafe method on a browser path must carry the token in the
form field ``_csrf`` or the ``X-CSRF-Token`` header (HTMX); comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from litestar._parsers import parse_url_encoded_form_data
from multipart import ParserError, PushMultipartParser

from renshe.settings import Settings

FORM_FIELD = "_csrf"
HEADER = b"x-csrf-token"
ANON_COOKIE = "renshe_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _sign(settings: Settings, value: str) -> str:
    mac = hmac.new(settings.secret_key.encode(), b"csrf:" + value.encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def new_anonymous_token(settings: Settings) -> str:
    value = secrets.token_urlsafe(24)
    return f"{value}.{_sign(settings, value)}"


def valid_anonymous_token(settings: Settings, token: str | None) -> bool:
    if not token or len(token) > 128 or "." not in token:
        return False
    value, _, mac = token.rpartition(".")
    return hmac.compare_digest(mac, _sign(settings, value))


def tokens_match(expected: str | None, submitted: str | None) -> bool:
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())


def token_from_form(content_type: str, body: bytes) -> str | None:
    """The ``_csrf`` field of an urlencoded or multipart body (None when absent or unreadable)."""
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == "application/x-www-form-urlencoded":
        value = parse_url_encoded_form_data(body).get(FORM_FIELD)
        if isinstance(value, list):
            return value[0] if value else None
        return value
    if media == "multipart/form-data":
        boundary = None
        for param in params.split(";"):
            key, _, val = param.strip().partition("=")
            if key.lower() == "boundary":
                boundary = val.strip('"')
        return _multipart_field(body, boundary) if boundary else None
    return None


def _multipart_field(body: bytes, boundary: str) -> str | None:
    found: bytearray | None = None
    reading = False
    try:
        parser = PushMultipartParser(boundary, max_segment_count=1000)
        for event in parser.parse(body):
            if event is None:
                if reading:
                    break
            elif isinstance(event, bytes | bytearray):
                if reading and found is not None and len(found) < 256:
                    found.extend(event)
            else:
                reading = event.name == FORM_FIELD and not event.filename
                found = bytearray() if reading else found
    except ParserError:
        return None
    return found.decode("utf-8", "replace") if found is not None else None
