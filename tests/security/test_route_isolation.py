"""Cross-district access through every route that takes an id, pages and API, generated from the
application's own route table: a new route is attacked the day it is added, and a new kind of id
with no factory in ``route_world`` fails the test instead of passing it by.

For each route and method, a user of district B holding a role the route admits asks for
district A's object (GET, or POST/PATCH/DELETE with a valid CSRF token or a bearer token and a
plausible body). The answer must be exactly what the same request for an id that exists nowhere
gets: 404, the same content type, the same body apart from the id and the request id. Never a
200, a 403 (both confirm the object exists) or a 5xx; and nothing of district A changes. Where
a route names two objects (a person's document, an award's objection), B also tries its own
parent with A's child.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from tests.accounts.support import new_client, page_csrf, signed_in
from tests.registry.support import api_headers, prc_id
from tests.security.route_world import NOT_IDS, VALUES, World, build_world, kind_of, nowhere_value, snapshot

A, B = "440785", "440784"  # Enping's objects, Heshan's users
SAFE_ROLES = (Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.DISTRICT_ADMIN)  # district roles, in order
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PARAM_RE = re.compile(r"\{(\w+):(\w+)\}")
# Routes a district user is refused before any object is looked up (the same 403 for every id),
# and why. They are attacked all the same: the answer must not depend on whose id it is.
REFUSED_FOR_ANY_ID = {
    "/admin/users/{user_id}/unlock": "only the city's security administrator unlocks accounts",
}


@dataclass(frozen=True)
class Case:
    path: str
    method: str
    guard_roles: frozenset[str]

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def params(self) -> list[str]:
        return [name for name, _type in PARAM_RE.findall(self.path)]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _guard_roles(handler: Any) -> frozenset[str]:
    """The roles the handler's guards admit (read from ``requires_roles``' names)."""
    roles: set[str] = set()
    for guard in handler.resolve_guards():
        name = getattr(getattr(guard, "func", guard), "__name__", "")
        if name.startswith("requires_") and name != "requires_login":
            roles |= set(name.removeprefix("requires_").split("_or_"))
        elif name == "requires_login":
            roles |= {r.value for r in SAFE_ROLES}
    return frozenset(roles)


def route_table() -> list[Case]:
    """Every (path, method) of the application with a path parameter (OPTIONS and HEAD aside)."""
    from renshe.web.app import create_app

    cases = []
    for route in create_app().routes:
        if not getattr(route, "path_parameters", None):
            continue
        for handler in getattr(route, "route_handlers", ()):
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                cases.append(Case(route.path, method, _guard_roles(handler)))
    return cases


ROUTES = route_table()
ID_ROUTES = [c for c in ROUTES if not all(p in NOT_IDS for p in c.params)]


def test_every_path_parameter_is_known() -> None:
    """A parameter nobody has classified (an id kind with a factory, or not an id) fails here."""
    unknown = []
    for case in ROUTES:
        for param in case.params:
            if param in NOT_IDS or param in VALUES:
                continue
            try:
                kind_of(case.path, param)
            except LookupError as exc:
                unknown.append(str(exc))
    assert not unknown, "\n".join(unknown)
    assert len(ID_ROUTES) >= 60, len(ID_ROUTES)  # the table is really read


def test_a_new_kind_of_id_fails_loudly() -> None:
    """What a route added tomorrow with an id nobody mapped meets in the tests above."""
    with pytest.raises(LookupError, match="widget_id"):
        kind_of("/api/v1/widgets/{widget_id:uuid}", "widget_id")


# ---------------------------------------------------------------- fixtures


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def worlds(db: None, admin_url: str) -> dict[str, World]:
    return {A: await build_world(A, admin_url), B: await build_world(B, admin_url)}


class Attackers:
    """District B's users: a signed-in browser and a bearer token per role, made on first use."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.browsers: dict[Role, httpx.AsyncClient] = {}
        self.tokens: dict[Role, dict[str, str]] = {}
        self.api = new_client(app, ip="192.0.2.85")  # no cookies: the bearer token alone

    async def browser(self, role: Role) -> httpx.AsyncClient:
        if role not in self.browsers:
            client = new_client(self.app, ip="192.0.2.84")
            await signed_in(client, B, role)
            self.browsers[role] = client
        return self.browsers[role]

    async def headers(self, role: Role) -> dict[str, str]:
        if role not in self.tokens:
            self.tokens[role] = await api_headers(B, role)
        return self.tokens[role]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def attackers(app: Any) -> AsyncIterator[Attackers]:
    made = Attackers(app)
    yield made
    for client in [*made.browsers.values(), made.api]:
        await client.aclose()


# ---------------------------------------------------------------- requests


# An action route admits several roles, but each action only one of them: B's user holds that one.
ACTION_ROLES = {"approve": Role.REVIEWER, "reject": Role.REVIEWER}


def role_for(case: Case) -> Role:
    for role in SAFE_ROLES:
        if role.value in case.guard_roles:
            return role
    raise AssertionError(f"{case}: no district role may use this route ({sorted(case.guard_roles)})")


def _template(path: str) -> str:
    return PARAM_RE.sub(lambda m: "{" + m.group(1) + "}", path)


def api_body(case: Case, version: int) -> dict[str, Any]:
    """A body the route would accept from an insider (so validation cannot answer first)."""
    path = _template(case.path)
    if path.endswith("/bank-return"):
        return {"files": {"file": ("return.csv", "参考号,金额,状态\n".encode(), "text/csv")}}
    bodies: dict[str, Any] = {
        "/api/v1/people/{person_id}": {"version": version, "notes": "跨区测试"},
        "/api/v1/people/{person_id}/documents": {"type": "prc_id", "number": prc_id(A)},
        "/api/v1/people/{person_id}/unmask": {"field": "mobile", "reason": "核对身份信息"},
        "/api/v1/enterprises/{enterprise_id}": {"version": version, "name": "跨区测试有限公司"},
        "/api/v1/enterprises/{enterprise_id}/unmask": {"field": "bank_account", "reason": "核对账户"},
        "/api/v1/links/{link_id}": {"until": "2023-01-01"},
        "/api/v1/applications/{application_id}/{action}": {"version": version, "comment": "跨区测试"},
        "/api/v1/applications/{application_id}/objections": {
            "raised_by": "张三", "content": "跨区测试", "raised_on": "2026-03-02",
        },
        "/api/v1/objections/{objection_id}/resolve": {"resolution": "dismissed", "comment": "跨区测试"},
        "/api/v1/talent-cards/applications/{application_id}/{action}": {
            "version": version, "comment": "跨区测试", "tier": "B",
        },
        "/api/v1/talent-cards/{card_no}/renew": {"reason": "跨区测试"},
        "/api/v1/talent-cards/{card_no}/revoke": {"reason": "跨区测试"},
        "/api/v1/talent-cards/{card_no}/report-loss": {"reason": "跨区测试"},
        "/api/v1/talent-cards/{card_no}/benefit-uses": {"benefit": "children_school", "place": "跨区测试"},
        "/api/v1/hkmo/youth/{youth_id}": {"version": version, "status": "left", "comment": "跨区测试"},
        **{f"/api/v1/hkmo/grants/{{grant_id}}/{step}": {"version": version, "comment": "跨区测试"}
           for step in ("submit", "approve", "reject", "withdraw")},
        "/api/v1/hkmo/tranches/{tranche_id}/milestone": {"met": True, "evidence": "跨区测试"},
        "/api/v1/hkmo/tranches/{tranche_id}/decide": {"met": True, "comment": "跨区测试"},
        "/api/v1/hkmo/grants/{grant_id}/clawbacks": {"amount_fen": 100, "reason": "跨区测试"},
        "/api/v1/hkmo/clawbacks/{clawback_id}/recoveries": {"amount_fen": 100},
        "/api/v1/hkmo/clawbacks/{clawback_id}/write-off": {"reason": "跨区测试"},
        "/api/v1/alerts/{alert_id}/resolve": {"resolution": "跨区测试"},
    }  # fmt: skip
    if case.method in ("GET", "DELETE") or path not in bodies:
        return {}
    return {"json": bodies[path]}


def page_form(case: Case, version: int, own_uscc: str) -> dict[str, Any]:
    """The fields of the route's form as the page would post them (extra fields are ignored);
    a link names the attacker's own enterprise."""
    form = {"version": str(version), "reason": "核对身份信息", "comment": "跨区测试", "confirm": "1"}
    suffix = case.path.rsplit("}", 1)[-1]
    form |= {
        "/roles": {"roles": "clerk"},
        "/unmask": {"field": "bank_account" if "enterprises" in case.path else "mobile"},
        "/documents": {"type": "prc_id", "number": prc_id(A)},
        "/links": {"uscc": own_uscc, "role": "founder", "since": "2022-01-01"},
        "/edit": {"name": "跨区测试", "residency": "mainland"},
        "/confirm": {"confirm_warnings": "1"},
        "/objections": {"raised_by": "张三", "raised_on": "2026-03-02", "content": "跨区测试"},
        "/resolve": {"resolution": "dismissed"},
        "/bank-file": {"choice": "generic_csv:utf-8"},
        "/approve": {"tier": "B"},
        "/benefit-uses": {"benefit": "children_school", "place": "跨区测试"},
        "/renew": {"social_insurance_months": "30"},
        "/status": {"status": "left"},
    }.get(suffix, {})
    return form


def variants(case: Case, worlds: dict[str, World]) -> Iterator[tuple[str, dict[str, str]]]:
    """(label, parameter values) of every request to try: A's objects, then B's own parent with
    A's child for a route naming two objects. Action parameters take each of their values."""
    ids = [p for p in case.params if p not in VALUES]
    actions = [p for p in case.params if p in VALUES]
    own = {p: worlds[A].route_value(kind_of(case.path, p)) for p in ids}
    choices: list[tuple[str, dict[str, str]]] = [("A's", own)]
    for parent in ids[:-1]:
        mixed = own | {parent: worlds[B].route_value(kind_of(case.path, parent))}
        choices.append((f"B's {parent} with A's", mixed))
    for label, values in choices:
        if not actions:
            yield label, values
        for action in actions:
            for value in VALUES[action]:
                yield f"{label} ({value})", values | {action: value}


def fill(case: Case, values: dict[str, str]) -> str:
    return PARAM_RE.sub(lambda m: values[m.group(1)], case.path)


async def send(
    case: Case, attackers: Attackers, url: str, version: int, values: dict[str, str], own_uscc: str
) -> httpx.Response:
    role = ACTION_ROLES.get(values.get("action", ""), role_for(case))
    if case.api:
        extra = api_body(case, version)
        headers = await attackers.headers(role)
        return await attackers.api.request(case.method, url, headers=headers, **extra)
    client = await attackers.browser(role)
    if case.method == "GET":
        return await client.get(url, follow_redirects=False)
    data = {"_csrf": await page_csrf(client), **page_form(case, version, own_uscc)}
    files = None
    if url.endswith("/returns"):
        files = {"file": ("return.csv", "参考号,金额,状态\n".encode(), "text/csv")}
    return await client.request(case.method, url, data=data, files=files, follow_redirects=False)


def normalized(response: httpx.Response) -> Any:
    """The answer with what legitimately differs between two requests taken out: ids (the path's
    and the request's) and the problem's ``instance``."""
    text = UUID_RE.sub("<id>", response.text)
    text = re.sub(r"QD[0-9]{16,}[0-9X]", "<card>", text)  # a card number in the page's own links
    text = re.sub(r"\b[0-9a-f]{24,}\b", "<hex>", text)  # request ids
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)  # the CSP nonce of each page
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        body = json.loads(text)
        return {k: v for k, v in body.items() if k not in ("request_id", "instance")}
    return text


def version_of(case: Case, worlds: dict[str, World], seen: dict[str, Any]) -> int:
    """The current version of the route's object in A (what an insider's form would carry)."""
    last = [p for p in case.params if p not in VALUES][-1]
    row = json.loads(seen[kind_of(case.path, last)])
    return int(row.get("version") or 1)


@pytest.mark.parametrize("case", ID_ROUTES, ids=str)
async def test_another_districts_object_is_exactly_not_found(
    case: Case, worlds: dict[str, World], attackers: Attackers, admin_url: str
) -> None:
    before = await snapshot(admin_url, worlds[A])
    version = version_of(case, worlds, before)
    nowhere = {p: nowhere_value(p) for p in case.params}
    mine = {worlds[B].route_value(kind) for kind in worlds[B].ids}
    for label, values in variants(case, worlds):
        # the same request with every id of A's swapped for one that exists nowhere (B's own stay)
        fake_values = {p: v if p in VALUES or v in mine else nowhere[p] for p, v in values.items()}
        real = await send(case, attackers, fill(case, values), version, values, worlds[B].uscc)
        fake = await send(case, attackers, fill(case, fake_values), version, values, worlds[B].uscc)
        where = f"{case} with {label} ids"
        expected = 403 if _template(case.path) in REFUSED_FOR_ANY_ID else 404
        if real.status_code in (400, 422) and expected == 404:
            # the request never reached the lookup: give the route an insider's body or form
            pytest.fail(f"{where}: {real.status_code} before any lookup — add the body an insider sends to"
                        f" api_body (API) or page_form (pages) here: {real.text[:300]}")  # fmt: skip
        assert real.status_code == expected, (where, real.status_code, real.text[:500])
        assert fake.status_code == expected, (where + " (an id that exists nowhere)", fake.status_code)
        assert real.headers.get("content-type") == fake.headers.get("content-type"), where
        assert normalized(real) == normalized(fake), where
        assert real.headers.keys() - {"set-cookie"} == fake.headers.keys() - {"set-cookie"}, where
    assert await snapshot(admin_url, worlds[A]) == before, f"{case} changed district A's data"
