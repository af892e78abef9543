"""One exception handler for the whole application (错误页).

Every exception is first *classified* (status, stable slug, English msgids) and then *rendered*
for whoever asked:

* ``/api/...`` → RFC 9457 problem+json (:mod:`renshe.api.problem`);
* an HTMX request → a small fragment, re-targeted at the layout's ``#htmx-error`` region;
* a browser → a full error page in the layout, in the user's language, with the request id.

A missing login sends a browser to ``/login?next=…`` and answers an API client ``401`` with
``WWW-Authenticate: Bearer``. Lost connections to PostgreSQL or Redis answer ``503`` ("service
temporarily unavailable"); the pools reconnect by themselves, so the app recovers without a
restart once the server is back. Anything else is a ``500``: logged with its traceback under the
request id, and the answer shows neither the trace nor any data.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import asyncpg
import redis.exceptions
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.response import Redirect, Template

from renshe import i18n
from renshe.api.problem import is_api_path, problem_response
from renshe.errors import DomainError, ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.web.request_context import request_id_of

log = structlog.get_logger("renshe.web.errors")

LOGIN_PATH = "/login"
HTMX_ERROR_TARGET = "#htmx-error"


@dataclass(frozen=True, slots=True)
class Status:
    slug: str
    title: str  # msgid
    detail: str  # msgid


STATUSES: dict[int, Status] = {
    400: Status(
        "bad-request",
        lazy("Bad request"),
        lazy("The request could not be understood. Please check what you entered and try again."),
    ),
    401: Status("unauthorized", lazy("Login required"), lazy("Please log in to continue.")),
    403: Status("forbidden", lazy("Not allowed"), lazy("You do not have permission to do this.")),
    404: Status(
        "not-found",
        lazy("Not found"),
        lazy("The page or record you asked for does not exist, or is not visible to you."),
    ),
    405: Status("method-not-allowed", lazy("Not supported"), lazy("This action is not supported here.")),
    409: Status(
        "conflict",
        lazy("Conflict"),
        lazy("This record was changed by someone else or already exists. Reload and try again."),
    ),
    413: Status("too-large", lazy("Too large"), lazy("What you sent is larger than this service accepts.")),
    422: Status(
        "validation-failed",
        lazy("Please correct the marked fields"),
        lazy("Please correct the marked fields."),
    ),
    429: Status(
        "too-many-requests",
        lazy("Too many requests"),
        lazy("Too many attempts. Please wait a moment and try again."),
    ),
    500: Status(
        "internal-error",
        lazy("Something went wrong"),
        lazy(
            "An unexpected error occurred on our side and has been logged. Please try again"
            " later; if it keeps happening, give the request id below to your administrator."
        ),
    ),
    503: Status(
        "service-unavailable",
        lazy("Service temporarily unavailable"),
        lazy("The service is temporarily unavailable. Please try again in a minute."),
    ),
}
GENERIC = Status("error", lazy("Request failed"), lazy("The request could not be completed."))

# Connection trouble with PostgreSQL or Redis: the service is unavailable, not broken.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08, and "connection does not exist"
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now, canceled
    asyncpg.exceptions.TooManyConnectionsError,
    # A pooled connection the server closed under us (restart) can surface as a protocol-state
    # error or "connection is closed" on its next use.
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    TimeoutError,
    OSError,  # connection refused / reset, "Multiple exceptions: Connect call failed"
)
# OSErrors that are bugs of ours, not a server that went away.
_LOCAL_OS_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from) is a lost database or Redis."""
    seen: BaseException | None = exc
    for _depth in range(5):
        if seen is None:
            return False
        if isinstance(seen, _UNAVAILABLE) and not isinstance(seen, _LOCAL_OS_ERRORS):
            return True
        seen = seen.__cause__
    return False


@dataclass(slots=True)
class Classified:
    status: int
    info: Status
    detail: str  # already translated
    errors: dict[str, str] = field(default_factory=dict)  # already translated
    headers: dict[str, str] = field(default_factory=dict)
    # RFC 9457 extension members a domain error adds (e.g. ``existing_id`` of a duplicate)
    extensions: dict[str, Any] = field(default_factory=dict)


def _translate(message: str, params: Mapping[str, object] | None = None) -> str:
    text = _(message)
    if params:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            text = text % dict(params)
    return text


def _is_msgid(text: str | None) -> bool:
    """A Litestar exception's ``detail`` is shown only when it is a message we translate."""
    return bool(text) and i18n.catalog(i18n.DEFAULT_LOCALE).get(text or "") is not None


def classify(exc: BaseException) -> Classified:
    if isinstance(exc, DomainError):
        status = exc.status_code
        info = STATUSES.get(status, GENERIC)
        errors: dict[str, str] = {}
        if isinstance(exc, ValidationFailed):
            field_params = getattr(exc, "field_params", None) or {}
            errors = {k: _translate(v, field_params.get(k)) for k, v in exc.errors.items()}
        detail = _translate(exc.message, exc.params) if exc.message else _(info.detail)
        extensions = dict(getattr(exc, "extensions", None) or {})
        return Classified(status, info, detail, errors, extensions=extensions)
    if isinstance(exc, HTTPException):
        status = exc.status_code
        info = STATUSES.get(status, GENERIC)
        headers = dict(exc.headers or {})
        errors = {}
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            for item in exc.extra:
                if isinstance(item, dict) and item.get("key"):
                    errors[str(item["key"])] = _translate(str(item.get("message", "")))
        detail = _(exc.detail) if _is_msgid(exc.detail) else _(info.detail)
        return Classified(status, info, detail, errors, headers)
    status = 503 if is_unavailable(exc) else 500
    info = STATUSES[status]
    return Classified(status, info, _(info.detail))


def _login_redirect(request: Request[Any, Any, Any]) -> str:
    # Only the path: a query string may hold what the user searched for.
    return f"{LOGIN_PATH}?next={quote(request.url.path, safe='/')}"


def _is_htmx(request: Request[Any, Any, Any]) -> bool:
    headers = request.headers
    return headers.get("hx-request") == "true" and headers.get("hx-history-restore-request") != "true"


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The application's exception handler (registered for ``Exception``)."""
    classified = classify(exc)
    status = classified.status
    request_id = request_id_of(request)
    if status == 500:
        log.error("http.unhandled_error", error=type(exc).__name__, exc_info=exc)
    elif status == 503:
        log.warning("http.service_unavailable", error=type(exc).__name__)

    api = is_api_path(request.url.path)
    if isinstance(exc, NotAuthorizedException) and not api:
        if _is_htmx(request):
            return Response(content=b"", status_code=401, headers={"HX-Redirect": _login_redirect(request)})
        return Redirect(path=_login_redirect(request), status_code=303)

    if api:
        headers = dict(classified.headers)
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return problem_response(
            status=status,
            slug=classified.info.slug,
            title=_(classified.info.title),
            detail=classified.detail,
            instance=request.url.path,
            request_id=request_id,
            errors=classified.errors or None,
            headers=headers,
            extensions=classified.extensions or None,
        )

    context = {
        "status": status,
        "title": _(classified.info.title),
        "detail": classified.detail,
        "errors": classified.errors,
        "request_id": request_id,
    }
    headers = {k: v for k, v in classified.headers.items() if k.lower() in ("allow", "retry-after")}
    if _is_htmx(request):
        headers.update({"HX-Retarget": HTMX_ERROR_TARGET, "HX-Reswap": "innerHTML"})
        return Template(
            template_name="errors/fragment.html",
            context=context,
            status_code=status,
            headers=headers,
        )
    return Template(template_name="errors/page.html", context=context, status_code=status, headers=headers)
