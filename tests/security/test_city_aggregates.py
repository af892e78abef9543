"""City roles see aggregates, not people (01-platform §4), proven over the application's own route
table, so a route added tomorrow is classified and walked without anyone remembering to.

* Every route a city role's guards admit either carries the supervision guard (督查: the city
  administrator with a live grant, one district, audited) or is listed in ``AGGREGATES`` with the
  reason it names nobody. An unlisted route fails the classification test.
* Every supervised route refuses the city analyst and a city administrator without a grant (403),
  whatever the method, before anything is read.
* Every other GET route a city user can open (the unlisted public ones aside) is read as the
  analyst and as the administrator, with the ids of a district where every kind of object exists
  (``route_world``): no answer may hold a name, a document, a mobile or an account of that
  district's people — in clear or masked. The same scan of a supervised read finds them, so the
  scan can fail.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.registry import people
from renshe.registry.masking import mask_bank_account, mask_mobile, mask_name, mask_resident_id
from renshe.registry.model import BankInput, DocumentInput, PersonInput
from tests.accounts.support import new_client, page_csrf, signed_in
from tests.registry.support import TESTER, api_headers, luhn_card, mobile, prc_id, unit_id
from tests.security.route_world import NOT_IDS, World, build_world, kind_of
from tests.supervision import support as supervision

DISTRICT = "440783"  # Kaiping: its people are the ones looked for
CITY = "440700"
CITY_ROLES = frozenset({Role.CITY_ANALYST.value, Role.CITY_ADMIN.value})
PARAM_RE = re.compile(r"\{(\w+):(\w+)\}")
NAME = "督查哨兵"  # distinctive: no other test or seed uses it

# (path, method) a city role may use without supervision, and why no individual is in it.
AGGREGATES: dict[tuple[str, str], str] = {
    ("/dashboard", "GET"): "a redirect to the rollups page (a district user: queue counts and cells)",
    ("/dashboard/export", "GET"): "applications by state per district, from the cells: counts",
    ("/hkmo/targets", "GET"): "targets, progress and projections: counts and sums per district",
    ("/hkmo/targets/{year:int}", "POST"): "the city administrator sets the year's targets",
    ("/api/v1/hkmo/targets", "GET"): "the targets as JSON",
    ("/api/v1/hkmo/targets/{year:int}", "PUT"): "the targets, set through the API",
    ("/api/v1/hkmo/balances", "GET"): "the grants' money per district: sums",
    ("/rollups", "GET"): "the rollups page: counts and sums, charts and targets",
    ("/rollups/export", "GET"): "a rollups table as CSV or XLSX: counts and sums",
    ("/rollups/reports", "GET"): "the city's monthly reports: counts and sums, small cells shown as <3",
    ("/rollups/reports", "POST"): "writing a month's report (a job)",
    ("/rollups/reports/{month:str}/download", "GET"): "one monthly report: sums, small cells as <3",
    ("/api/v1/rollups", "GET"): "the rollups: counts and sums per district, program and month",
    ("/api/v1/rollups/targets", "GET"): "the targets and progress: counts and sums",
    ("/api/v1/alerts", "GET"): "an alert names a record by id and the rule it broke, never a person",
    ("/jobs", "GET"): "the city bureau's own jobs only (a district's job names its files and rows)",
    ("/jobs/{job_id:uuid}", "GET"): "one of the city bureau's own jobs",
    ("/jobs/{job_id:uuid}/progress", "GET"): "one of the city bureau's own jobs",
    ("/jobs/audit-check", "POST"): "refused to city users (a district's audit check)",
    ("/jobs/{job_id:uuid}/cancel", "POST"): "refused to city users (a district's queued job)",
    ("/api/v1/jobs", "GET"): "the city bureau's own jobs only",
    ("/api/v1/jobs/{job_id:uuid}", "GET"): "one of the city bureau's own jobs",
    ("/supervision", "GET"): "the city's supervision grants: who inspected which district, and why",
    ("/supervision", "POST"): "asking for a supervision grant",
    ("/supervision/{supervision_id:uuid}/end", "POST"): "ending one's own grant",
    ("/account/password", "GET"): "one's own account",
    ("/account/password", "POST"): "one's own account",
    ("/api/v1/auth/revoke", "POST"): "one's own token",
    ("/api/v1/me", "GET"): "one's own account",
    ("/api/v1/programs", "GET"): "the city's programs catalogue: reference data",
    ("/api/v1/programs/{code:str}", "GET"): "one program of the catalogue",
}


def _guard_names(handler: Any) -> list[str]:
    return [getattr(getattr(g, "func", g), "__name__", "") for g in handler.resolve_guards()]


def _admits_city(names: list[str]) -> bool:
    roles: set[str] = set()
    for name in names:
        if name == "requires_login":
            roles |= CITY_ROLES
        elif name.startswith("requires_"):
            roles |= set(name.removeprefix("requires_").split("_or_"))
    return bool(roles & CITY_ROLES)


def city_routes() -> list[tuple[str, str, bool]]:
    """(path, method, supervised) of every route a city role's guards admit."""
    from renshe.web.app import create_app

    found = []
    for route in create_app().routes:
        for handler in getattr(route, "route_handlers", ()):
            names = _guard_names(handler)
            if not _admits_city(names):
                continue
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                found.append((route.path, method, "supervised" in names))
    return found


ROUTES = city_routes()
SUPERVISED = [(p, m) for p, m, s in ROUTES if s]
OPEN = [(p, m) for p, m, s in ROUTES if not s]


def test_every_route_a_city_role_opens_is_an_aggregate_or_supervised() -> None:
    unlisted = [f"{m} {p}" for p, m in OPEN if (p, m) not in AGGREGATES]
    assert not unlisted, "a city role may open these without supervision; list why they name nobody:\n" + (
        "\n".join(unlisted)
    )
    stale = [f"{m} {p}" for p, m in AGGREGATES if (p, m) not in OPEN]
    assert not stale, "listed but no longer open to city roles: " + ", ".join(stale)
    assert len(SUPERVISED) >= 20, SUPERVISED  # the registry and the applications, pages and API


# ---------------------------------------------------------------- the district looked at


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def app(db: None) -> Any:
    from renshe.web.app import create_app

    return create_app()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(db: None, admin_url: str) -> dict[str, Any]:
    """Every kind of object in the district, and a person whose values are looked for."""
    built: World = await build_world(DISTRICT, admin_url)
    tenant = await unit_id(DISTRICT)
    number, phone, account = prc_id(DISTRICT, date(1984, 6, 12)), mobile(), luhn_card("6217")
    data = PersonInput(
        name=NAME, documents=[DocumentInput("prc_id", number)], residency="mainland", mobile=phone,
        bank=BankInput(account, NAME, "中国工商银行江门分行"), confirm_warnings=True,
    )  # fmt: skip
    async with tenant_transaction(TenantContext.district(tenant)):
        await people.register_person(tenant, TESTER, data)
    forms = {
        NAME, mask_name(NAME), number, mask_resident_id(number), phone, mask_mobile(phone), account,
        mask_bank_account(account), "陈美玲", mask_name("陈美玲"),  # the world's people's name
    }  # fmt: skip
    return {"world": built, "forms": forms}


class CityUsers:
    """The analyst and the administrator (no grant): a browser and bearer headers each."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.browsers: dict[Role, httpx.AsyncClient] = {}
        self.csrf: dict[Role, str] = {}
        self.headers: dict[Role, dict[str, str]] = {}

    async def get(self, role: Role, method: str, path: str) -> httpx.Response:
        if path.startswith("/api/"):
            if role not in self.headers:
                self.headers[role] = await api_headers(CITY, role)
            async with new_client(self.app) as api:
                return await api.request(method, path, headers=self.headers[role], json={})
        if role not in self.browsers:
            self.browsers[role] = new_client(self.app, ip="192.0.2.70")
            await signed_in(self.browsers[role], CITY, role)
            self.csrf[role] = await page_csrf(self.browsers[role])  # a refusal must not be the CSRF check's
        return await self.browsers[role].request(
            method, path, headers={"X-CSRF-Token": self.csrf[role]}, follow_redirects=False
        )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def city(app: Any) -> AsyncIterator[CityUsers]:
    users = CityUsers(app)
    yield users
    for client in users.browsers.values():
        await client.aclose()


def _path(template: str, world: World) -> str | None:
    """The route with the district's ids in it; None for a route named by a public value."""
    path = template
    for name, _type in PARAM_RE.findall(template):
        if name == "month":
            value = "2017-04"
        elif name == "year":
            value = str(date.today().year)
        elif name == "code":
            value = "startup_once"  # a program of the catalogue
        elif name in NOT_IDS or name == "supervision_id":
            return None
        else:
            value = world.route_value(kind_of(template, name))
        path = path.replace(f"{{{name}:{_type}}}", value)
    return path


def _found(text: str, forms: set[str]) -> list[str]:
    return sorted(f for f in forms if f in text)


@pytest.mark.parametrize(("template", "method"), SUPERVISED, ids=[f"{m} {p}" for p, m in SUPERVISED])
async def test_a_supervised_route_refuses_city_users_without_a_grant(
    template: str, method: str, world: dict[str, Any], city: CityUsers
) -> None:
    path = _path(template, world["world"])
    assert path is not None
    for role in (Role.CITY_ANALYST, Role.CITY_ADMIN):
        answer = await city.get(role, method, path)
        assert answer.status_code == 403, (role, answer.status_code, answer.text[:300])
        assert not _found(answer.text, world["forms"])


@pytest.mark.parametrize(
    ("template", "method"),
    [(p, m) for p, m in OPEN if m == "GET"],
    ids=[f"GET {p}" for p, m in OPEN if m == "GET"],
)
async def test_an_open_route_shows_city_users_no_one(
    template: str, method: str, world: dict[str, Any], city: CityUsers
) -> None:
    path = _path(template, world["world"])
    if path is None:
        pytest.fail(f"{template}: no value for its parameter")
    for role in (Role.CITY_ANALYST, Role.CITY_ADMIN):
        answer = await city.get(role, method, path)
        assert answer.status_code < 500, (role, answer.text[:300])
        assert not _found(answer.text, world["forms"]), (role, _found(answer.text, world["forms"]))


async def test_the_scan_finds_the_people_a_supervised_read_shows(world: dict[str, Any]) -> None:
    """The control: under a grant for the district, the same scan finds its people (masked)."""
    _, headers = await supervision.supervisor(DISTRICT)
    from renshe.web.app import create_app

    async with new_client(create_app()) as client:
        listed = await client.get("/api/v1/people", params={"name_prefix": NAME}, headers=headers)
    assert listed.status_code == 200
    assert mask_name(NAME) in _found(listed.text, world["forms"])
