"""What the OpenAPI document says each ``/api`` operation answers when it fails.

Every error under ``/api`` is ``application/problem+json`` (:mod:`renshe.api.problem`), so every
error response in the document is that media type with the ``ProblemDetails`` schema. Which codes
an operation declares is derived from the handler, so a new route gets them without anyone
remembering to:

* ``401`` — a guard that needs a login; ``403`` — a guard that needs a role;
* ``400`` — the operation takes input (body, query or path): malformed JSON, a wrong type;
* ``422`` — it takes a body or query parameters (the services answer bad values with field errors);
* ``404`` — there is an id in the path.

What only the handler knows (a stale ``version`` → 409, a look-up → 404, a rate limit → 429) it
adds with ``opt={"problems": (409,)}``; ``opt={"decoder_only": True}`` says its input is checked by
the decoder alone (400, never 422); ``opt={"raw_body": True}`` that it reads a body itself.
:func:`declare_problems` writes the result into each handler's ``responses`` before the document
is built; a handler's own ``responses`` win.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.params import QueryParameter
from litestar.routes import HTTPRoute

from renshe.api.problem import PROBLEM_MEDIA_TYPE, ProblemDetails, is_api_path

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: not JSON, or a value of the wrong type (`errors` names it).",
    401: "No bearer token, or an expired, revoked or unknown one (`WWW-Authenticate: Bearer`).",
    403: "The user's roles (or org unit) do not allow this.",
    404: "No such object — or one of another district, which answers exactly the same.",
    409: "A stale `version` (changed since you read it), a duplicate, or a state that does not allow it.",
    413: "The upload is larger than this service accepts.",
    422: "The input breaks a rule: `errors` lists each `{field, message}`.",
    429: "Too many attempts: wait a moment and try again.",
}
# Handler parameters that are not client input.
_NOT_INPUT = frozenset({"request", "data", "state", "scope", "headers", "cookies", "query", "body", "socket"})
OPT_PROBLEMS = "problems"
OPT_DECODER_ONLY = "decoder_only"
OPT_RAW_BODY = "raw_body"  # the handler reads its body itself (no ``data`` parameter)


def problem_responses(codes: Iterable[int]) -> dict[int, ResponseSpec]:
    """``responses=`` for these status codes, each a problem+json ``ProblemDetails``."""
    return {
        code: ResponseSpec(
            data_container=ProblemDetails,
            media_type=PROBLEM_MEDIA_TYPE,
            description=DESCRIPTIONS.get(code, "Error"),
            generate_examples=False,
        )
        for code in sorted(set(codes))
    }


def _query_parameters(handler: HTTPRouteHandler, path_parameters: Iterable[str]) -> list[str]:
    skip = _NOT_INPUT | set(path_parameters) | set(handler.resolve_dependencies())
    return [name for name in handler.parsed_fn_signature.parameters if name not in skip]


def expected_problems(handler: HTTPRouteHandler, path_parameters: Iterable[str]) -> set[int]:
    """The error status codes this handler can answer (see the module's docstring)."""
    path_parameters = list(path_parameters)
    codes: set[int] = set(handler.opt.get(OPT_PROBLEMS, ()))
    for wrapped in handler.resolve_guards():
        guard = getattr(wrapped, "func", wrapped)  # Litestar wraps each guard in an AsyncCallable
        if getattr(guard, "requires_login", False):
            codes.add(401)
        if getattr(guard, "roles", None):
            codes.add(403)
    has_body = "data" in handler.parsed_fn_signature.parameters or handler.opt.get(OPT_RAW_BODY, False)
    query = _query_parameters(handler, path_parameters)
    if has_body or query or path_parameters:
        codes.add(400)
    if (has_body or query) and not handler.opt.get(OPT_DECODER_ONLY):
        codes.add(422)
    if path_parameters:
        codes.add(404)
    return codes


def declare_problems(app: Litestar) -> None:
    """Give every API handler its problem+json error responses (before the document is built)."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or not is_api_path(route.path):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            declared = problem_responses(expected_problems(handler, route.path_parameters))
            handler.responses = {**declared, **(handler.responses or {})}


# ------------------------------------------------------------------ operation classes
# For what the handler's signature cannot say: an anonymous operation, a body read by hand.


@dataclass
class AnonymousOperation(Operation):
    """An operation that needs no token (overrides the document's global ``bearer``)."""

    def __post_init__(self) -> None:
        self.security = []


def body_operation(media_type: str, schema: dict[str, Any], *, required: bool) -> type[Operation]:
    """An operation class documenting a request body the handler reads itself."""
    body = RequestBody(content={media_type: OpenAPIMediaType(schema=_schema(schema))}, required=required)

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            if self.request_body is None:
                self.request_body = body

    return WithBody


def content_operation(status: str, media_types: Iterable[str], schema: dict[str, Any]) -> type[Operation]:
    """An operation class listing the media types of a response that is not JSON (a file)."""
    content = {m: OpenAPIMediaType(schema=_schema(schema)) for m in media_types}

    @dataclass
    class WithContent(Operation):
        def __post_init__(self) -> None:
            response = (self.responses or {}).get(status)
            if response is not None and not isinstance(response, dict):
                response.content = dict(content)  # type: ignore[union-attr]

    return WithContent


def _schema(spec: dict[str, Any]) -> Schema:
    """A :class:`Schema` from a small JSON-Schema-like dict (``properties`` nested)."""
    kwargs: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "properties":
            kwargs["properties"] = {name: _schema(sub) for name, sub in value.items()}
        elif key == "items":
            kwargs["items"] = _schema(value)
        else:
            kwargs[key] = value
    return Schema(**kwargs)


# ------------------------------------------------------------------ rules of request fields


def rule(**schema: Any) -> msgspec.Meta:
    """A rule the *service* enforces (a 422 naming the field, in the caller's language), stated
    in the document for clients and for generated tests; the decoder does not enforce it, so a
    breach never becomes the decoder's English 400. Keys are :class:`Schema` field names
    (``max_length``, ``min_length``, ``pattern``, ``enum``, ``minimum``, ``maximum``)."""
    return msgspec.Meta(extra_json_schema={"extra": schema})


def query_rule(description: str | None = None, **schema: Any) -> Any:
    """The same for a query parameter: ``Annotated[int | None, query_rule(minimum=1)]``."""
    return QueryParameter(description=description, schema_extra=schema)
