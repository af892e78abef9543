"""What each role sees: role names, the navigation bar and the home page's task lists.

A link is shown only when its page is registered in the running application *and* the page's
own guards let this principal in (they are asked, not restated here), so the home page never
offers a page that does not exist yet or would answer 403. What later releases bring is listed
honestly as "coming".
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from renshe.accounts.principal import DISTRICT_ROLES, Principal, Role
from renshe.i18n import gettext as _
from renshe.i18n import lazy

ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: lazy("Clerk"),
    Role.REVIEWER: lazy("Reviewer"),
    Role.FINANCE: lazy("Finance officer"),
    Role.DISTRICT_ADMIN: lazy("District administrator"),
    Role.CITY_ANALYST: lazy("City analyst"),
    Role.CITY_ADMIN: lazy("City administrator"),
    Role.SYSADMIN: lazy("System administrator"),
    Role.SECADMIN: lazy("Security administrator"),
    Role.AUDITOR: lazy("Audit administrator"),
}


def role_label(role: Role | str) -> str:
    try:
        return _(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)


@dataclass(frozen=True, slots=True)
class Link:
    path: str
    label: str  # msgid
    description: str  # msgid
    # Who the link is *for*, when that is narrower than who may open the page (None: everyone
    # the page's guards admit). Never wider: the guards are asked as well.
    audience: frozenset[Role] | None = None
    in_main_nav: bool = True


# Who reads the API documentation: the roles whose work other systems do through the API — the
# finance office's bank and batch automation (its batch, bank-file and return endpoints) and the
# administrators who set integrations up and issue their accounts. Clerks, reviewers and analysts
# work on the pages; the documentation still opens for them (its guard is unchanged), it is only
# not offered to them.
API_DOC_AUDIENCE = frozenset({Role.FINANCE, Role.DISTRICT_ADMIN, Role.CITY_ADMIN, Role.SYSADMIN})


LINKS: tuple[Link, ...] = (
    Link(
        "/dashboard",
        lazy("District dashboard"),
        lazy("Work waiting for you, and your district's figures from the rollups."),
        audience=DISTRICT_ROLES,  # the city's dashboard is the rollups page
    ),
    Link(
        "/subsidies/applications",
        lazy("Subsidy applications"),
        lazy("Enter applications, follow them through review, notice and payment, fix payee accounts."),
        audience=DISTRICT_ROLES,  # a city administrator comes here from the supervision page
    ),
    Link(
        "/subsidies/review",
        lazy("Review queue"),
        lazy("Approve or reject submitted applications and resolve objections from the public notice."),
    ),
    Link(
        "/talent/applications",
        lazy("Talent-card applications"),
        lazy(
            "Enter talent-card applications, record the employer's confirmation and follow them to the card."
        ),
    ),
    Link(
        "/talent/review",
        lazy("Talent-card review"),
        lazy("Decide submitted talent-card applications and issue the approved cards."),
    ),
    Link(
        "/talent/cards",
        lazy("Talent cards"),
        lazy("Cards issued: their images and downloads, benefit uses, renewal, loss and revocation."),
    ),
    Link(
        "/hkmo/youth",
        lazy("Hong Kong and Macao youth"),
        lazy("Register Hong Kong and Macao youth, follow their status and record a withdrawal of consent."),
    ),
    Link(
        "/hkmo/grants",
        lazy("HK/MO youth grants"),
        lazy("Plan grants in tranches, record and decide milestones, follow the ledger and clawbacks."),
    ),
    Link(
        "/rollups",
        lazy("Rollups"),
        lazy("What the districts filed, approved and paid, month by month: charts, targets and exports."),
    ),
    Link(
        "/hkmo/targets",
        lazy("HK/MO youth targets"),
        lazy(
            "The year's targets for Hong Kong and Macao youth, each district's progress, the projection "
            "and the grants' money."
        ),
    ),
    Link(
        "/supervision",
        lazy("Supervision"),
        lazy("Inspect one district's records for a few hours, with a reason: read-only and audited."),
        in_main_nav=False,
    ),
    Link(
        "/disbursement/batches",
        lazy("Disbursement batches"),
        lazy("Approve payment batches, download bank files and upload the bank's return files."),
    ),
    Link(
        "/registry/people",
        lazy("People registry"),
        lazy("Register people, find them by document, edit them and export the list."),
        audience=DISTRICT_ROLES,  # a city administrator comes here from the supervision page
    ),
    Link(
        "/registry/enterprises",
        lazy("Enterprise registry"),
        lazy("Register enterprises and link founders and employees to them."),
        audience=DISTRICT_ROLES,  # a city administrator comes here from the supervision page
    ),
    Link(
        "/registry/imports",
        lazy("Bulk import"),
        lazy("Import people or enterprises from an Excel or CSV file, checked row by row."),
    ),
    Link(
        "/jobs",
        lazy("Background jobs"),
        lazy("Follow the progress and results of background jobs, such as the nightly audit check."),
    ),
    Link(
        "/admin/users",
        lazy("User accounts"),
        lazy("Create accounts, grant roles, reset passwords and unlock locked accounts."),
    ),
    Link(
        "/audit",
        lazy("Audit log"),
        lazy("Read and filter the audit log of every change and every login."),
    ),
    Link(
        "/docs/api",
        lazy("API documentation"),
        lazy("The JSON API for other systems: endpoints, bearer tokens and error format."),
        audience=API_DOC_AUDIENCE,
        in_main_nav=False,  # a reference for integrators, not daily work: on the home page only
    ),
)

_DISTRICT_WORK = frozenset({Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.DISTRICT_ADMIN})
_CITY_WORK = frozenset({Role.CITY_ANALYST, Role.CITY_ADMIN})

# Business capabilities of later releases, listed so nobody hunts for them now.
COMING: tuple[tuple[str, frozenset[Role]], ...] = (
    (lazy("Talent cards: figures across the districts"), _CITY_WORK),
    (lazy("Hong Kong and Macao youth: entrepreneurship grants by milestone"), _DISTRICT_WORK),
    (lazy("City dashboards: figures and charts across all districts"), _CITY_WORK),
)


class _GuardProbe:
    """Just enough of a connection for a guard to look at the principal."""

    def __init__(self, principal: Principal) -> None:
        self.scope: dict[str, Any] = {"principal": principal}


def get_handlers(app: Any) -> dict[str, Any]:
    """The GET handler of every path the running application serves."""
    found: dict[str, Any] = {}
    for route in app.routes:
        handler_map = getattr(route, "route_handler_map", None)
        if handler_map and "GET" in handler_map:
            found[route.path] = handler_map["GET"][0]
    return found


def _guards_admit(handler: Any, principal: Principal) -> bool:
    probe = _GuardProbe(principal)
    for guard in handler.resolve_guards():
        fn = getattr(guard, "func", guard)  # Litestar wraps guards in AsyncCallable
        if inspect.iscoroutinefunction(fn):
            continue  # cannot be asked here; the page still enforces it
        try:
            fn(probe, handler)
        except (NotAuthorizedException, PermissionDeniedException):
            return False
    return True


def admits(principal: Principal, href: str, handlers: dict[str, Any]) -> bool:
    """Whether a link to ``href`` (a page's fixed path, maybe with a query: not a path with an id
    in it) opens for ``principal``: its page exists and that page's own guards let the principal
    in. Every page that offers a link to another area asks this, so the guards stay the one place
    that says who may open what."""
    path = href.split("?", 1)[0].split("#", 1)[0]
    return path in handlers and _guards_admit(handlers[path], principal)


def links_for(principal: Principal | None, handlers: dict[str, Any]) -> list[Link]:
    if principal is None:
        return []
    return [
        link
        for link in LINKS
        if (link.audience is None or principal.roles & link.audience)
        and admits(principal, link.path, handlers)
    ]


def main_nav_for(principal: Principal | None, handlers: dict[str, Any]) -> list[Link]:
    """The main navigation bar: the home page's links that are daily work."""
    return [link for link in links_for(principal, handlers) if link.in_main_nav]


def coming_for(principal: Principal | None) -> list[str]:
    if principal is None:
        return []
    return [text for text, roles in COMING if any(r in roles for r in principal.roles)]
