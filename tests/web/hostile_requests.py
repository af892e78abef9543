"""Hostile requests for every route of the application (issue 8.4: no 500 for bad input).

The routes come from the Litestar app's own route table, so a route added later is walked
without anyone listing it. Each route gets each hostile input once: bad values in every query
parameter the handler declares (plus the names pages read from ``request.query_params``), NUL
bytes in path parameters, and — for unsafe methods — a JSON or form body built from the
handler's ``data`` type with hostile values in every field, 10,000-deep JSON, and garbage.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Litestar
from litestar.routes import HTTPRoute

# Query names pages read by hand from ``request.query_params`` (API handlers declare theirs).
PAGE_QUERY_NAMES = (
    "page", "limit", "cursor", "format", "encoding", "layout", "year", "from", "to", "state",
    "program", "ref", "name", "sort", "kind", "done", "line_state", "unit", "role", "status",
    "residency", "document_type", "failures", "next", "q", "on", "family", "actor", "action",
    "object_type", "object_id", "since", "until", "expired",
)  # fmt: skip
# Form fields sent to every page that takes a form (names of the product's forms).
FORM_FIELDS = (
    "name", "reason", "address", "password", "new_password", "repeat_password",
    "current_password", "display_name", "username", "totp", "notes", "school", "mobile",
    "birth_date", "registered_on", "graduated_on", "documents[0].type", "documents[0].number",
    "bank.account_number", "bank.account_name", "bank.bank_name", "legal_representative", "uscc",
    "program", "version", "confirm", "choice", "org_unit", "roles", "layout", "encoding",
    "format", "kind", "query", "number", "type", "resolution", "payee", "amount", "date",
)  # fmt: skip
SKIPPED_KWARGS = {"request", "data", "scope", "state", "headers", "socket", "cookies", "body"}
NUL = "a\x00b"
HUGE = "99999999999999999999"


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# name → (value, the kinds of query parameter it is given to): a date only to parameters
# declared as dates or text, so that an int parameter's 400 does not hide what the date does.
ALL = frozenset({"int", "date", "str", "other"})
DATES = frozenset({"date", "str"})
NUMBERS = frozenset({"int", "str"})
TEXT = frozenset({"str"})
QUERY_VALUES: dict[str, tuple[str, frozenset[str]]] = {
    "nul": (NUL, ALL),
    "year-1": ("0001-01-01", DATES),
    "year-9999": ("9999-12-31", DATES),
    "year-10000": ("10000-01-01", DATES),
    "huge-number": (HUGE, NUMBERS),
    "negative-number": ("-" + HUGE, NUMBERS),
    "int-overflow": (str(2**63), NUMBERS),
    "non-numeric": ("abc", ALL),
    "garbage-cursor": ("!!%%$$", TEXT),
    "cursor-of-wrong-shape": (_cursor(["x", 1e300, None, {"a": [1]}]), TEXT),
    "cursor-of-huge-numbers": (_cursor([10**30, "0001-01-01T00:00:00", str(uuid.uuid4())]), TEXT),
    "bad-encoding": ("rot13", TEXT),
    "very-long": ("长" * 150, TEXT),  # (times every name: a 50 kB query string)
}
# (more tags are tried against one page in tests/web/test_errors.py: the header is read by the
# outermost middleware, the same code for every route)
ACCEPT_LANGUAGES = {
    "lang-klingon": "xx,i-klingon;q=0.9,;;q=abc",
    "lang-very-long": "x-" + "a" * 20000,
}
DEEP = 10_000


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    template: str  # the path as the app declares it
    path_params: dict[str, type]
    query: dict[str, str]  # name → kind (int, date, str, other)
    data_type: Any | None
    guards: tuple[object, ...] = ()  # the handler's guards (routes with the same admit the same roles)

    @property
    def is_api(self) -> bool:
        return self.template == "/api" or self.template.startswith("/api/")

    @property
    def unsafe(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")

    def path(self, ids: dict[str, str] | None = None, override: str | None = None) -> str:
        out = self.template
        for name, kind in self.path_params.items():
            value = override if override is not None else (ids or {}).get(name) or _default(kind)
            out = _replace_param(out, name, quote(value, safe="") if override is not None else value)
        return out


@dataclass(slots=True)
class Hostile:
    name: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    content_type: str | None = None


def _default(kind: type) -> str:
    if kind is uuid.UUID:
        return str(uuid.UUID(int=0x1234))
    if kind is int:
        return "1"
    return "x"


def _replace_param(template: str, name: str, value: str) -> str:
    start = template.index("{" + name)
    end = template.index("}", start)
    return template[:start] + value + template[end + 1 :]


def routes(app: Litestar) -> list[Route]:
    """Every (method, path) of the app, OPTIONS and HEAD left out (Litestar answers those)."""
    found: list[Route] = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods):
                if method in ("OPTIONS", "HEAD"):
                    continue
                params = handler.parsed_fn_signature.parameters
                query = dict.fromkeys(PAGE_QUERY_NAMES, "str")
                for name, param in params.items():
                    if name in SKIPPED_KWARGS or name in route.path_parameters:
                        continue
                    definition = param.kwarg_definition
                    alias = getattr(definition, "query", None) if definition is not None else None
                    query[alias or name] = _kind(param.annotation)
                data = params.get("data")
                found.append(
                    Route(
                        method=method,
                        template=route.path,
                        path_params={n: p.type for n, p in route.path_parameters.items()},
                        query=query,
                        data_type=data.annotation if data is not None else None,
                        guards=tuple(getattr(g, "func", g) for g in handler.resolve_guards()),
                    )
                )
    return found


def _kind(annotation: Any) -> str:
    text = str(annotation)
    for kind, marks in (("date", ("date",)), ("int", ("int",)), ("str", ("str",))):
        if any(m in text for m in marks):
            return kind
    return "other"


# ---------------------------------------------------------------- bodies from the data type


def _value_for(info: Any, text: str, day: str, number: int, depth: int = 0) -> Any:
    """A JSON value of the shape ``info`` asks for, hostile where it can be."""
    mi = msgspec.inspect
    if depth > 6:
        return None
    if isinstance(info, mi.Metadata):
        return _value_for(info.type, text, day, number, depth)
    if isinstance(info, mi.UnionType):
        for member in info.types:
            if not isinstance(member, mi.NoneType):
                return _value_for(member, text, day, number, depth)
        return None
    if isinstance(info, mi.StructType):
        return {f.encode_name: _value_for(f.type, text, day, number, depth + 1) for f in info.fields}
    if isinstance(info, mi.DataclassType | mi.TypedDictType):
        return {f.encode_name: _value_for(f.type, text, day, number, depth + 1) for f in info.fields}
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return [_value_for(info.item_type, text, day, number, depth + 1)]
    if isinstance(info, mi.DictType):
        return {text: _value_for(info.value_type, text, day, number, depth + 1)}
    if isinstance(info, mi.DateType):
        return day
    if isinstance(info, mi.DateTimeType):
        return day + "T00:00:00+08:00"
    if isinstance(info, mi.IntType):
        return number
    if isinstance(info, mi.BoolType):
        return True
    if isinstance(info, mi.FloatType):
        return 1e308
    if isinstance(info, mi.UUIDType):
        return str(uuid.UUID(int=0x1234))
    if isinstance(info, mi.EnumType | mi.LiteralType):
        values = [m.value for m in info.cls] if isinstance(info, mi.EnumType) else list(info.values)
        return values[0] if values else text
    return text


def json_body(data_type: Any, text: str, day: str, number: int) -> bytes:
    try:
        info = msgspec.inspect.type_info(data_type)
    except Exception:  # a type msgspec cannot describe: send a generic object
        info = None
    if info is None or isinstance(info, msgspec.inspect.AnyType):
        body: Any = {name: text for name in FORM_FIELDS}
    else:
        body = _value_for(info, text, day, number)
    return json.dumps(body, ensure_ascii=False).encode()


def _deep_array() -> bytes:
    return b"[" * DEEP + b"]" * DEEP


def _deep_object() -> bytes:
    return b'{"a":' * DEEP + b"1" + b"}" * DEEP


# ---------------------------------------------------------------- the inputs of one route


def hostile_requests(route: Route, ids: dict[str, str]) -> Iterator[Hostile]:
    path = route.path(ids)
    for name, (value, kinds) in QUERY_VALUES.items():
        names = [n for n, kind in route.query.items() if kind in kinds]
        yield Hostile(name, path, params=dict.fromkeys(names, value))
    for name, value in ACCEPT_LANGUAGES.items():
        yield Hostile(name, path, headers={"Accept-Language": value})
    # NUL in the path: in each path parameter, or at the end of a path without any
    if route.path_params:
        yield Hostile("nul-in-path", route.path(override=NUL))
    else:
        yield Hostile("nul-in-path", path.rstrip("/") + "/%00")
    if not route.unsafe:
        return
    if route.is_api:
        data = route.data_type
        for name, (text, day, number) in {
            "json-nul": (NUL, "2020-01-01", 1),
            "json-year-1": ("王小明", "0001-01-01", 1),
            "json-year-9999": ("王小明", "9999-12-31", 2**63 - 1),
            "json-huge-number": ("王小明", "2020-01-01", 10**30),
        }.items():
            body = json_body(data, text, day, number)
            yield Hostile(name, path, content=body, content_type="application/json")
        yield Hostile("json-deep-array", path, content=_deep_array(), content_type="application/json")
        yield Hostile("json-deep-object", path, content=_deep_object(), content_type="application/json")
        yield Hostile("json-garbage", path, content=b"\xff\xfe{\x00", content_type="application/json")
        return
    for name, value in {"form-nul": NUL, "form-year-1": "0001-01-01", "form-year-9999": "9999-12-31",
                        "form-huge-number": HUGE}.items():  # fmt: skip
        form = {f: value for f in FORM_FIELDS}
        yield Hostile(
            name,
            path,
            content=_form(form),
            content_type="application/x-www-form-urlencoded",
        )
    form_type = "application/x-www-form-urlencoded"
    yield Hostile("form-nul-key", path, content=b"a%00b=1&%00=%00", content_type=form_type)
    yield Hostile("form-deep-json", path, content=_deep_array(), content_type="application/json")


def _form(fields: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields.items()).encode()
