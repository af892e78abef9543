"""Who may hold which roles, and who may manage whom (pure functions, no I/O).

Role rules (三员分立): sysadmin, secadmin and auditor exclude each other and every business
role; district roles belong to a district unit, city roles and the three MLPS admin roles to the
city unit. Management: sysadmin manages every user; a district admin manages the clerks,
reviewers and finance staff of their own district; secadmin unlocks accounts. Nobody changes
their own roles or deactivates themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from renshe.accounts.principal import (
    CITY_ROLES,
    DISTRICT_ROLES,
    MLPS_ADMIN_ROLES,
    Principal,
    Role,
)

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
# What a district admin may grant inside their district (not district_admin: that is sysadmin's).
DISTRICT_ADMIN_GRANTABLE = frozenset({Role.CLERK, Role.REVIEWER, Role.FINANCE})


def parse_roles(values: Iterable[str]) -> tuple[frozenset[Role], list[str]]:
    roles: set[Role] = set()
    unknown: list[str] = []
    for v in values:
        try:
            roles.add(Role(v))
        except ValueError:
            unknown.append(v)
    return frozenset(roles), unknown


def username_error(username: str) -> str | None:
    if not USERNAME_RE.match(username):
        return "A username has 3 to 64 characters: letters, digits, dot, hyphen or underscore."
    return None


def role_errors(roles: frozenset[Role], unit_kind: str) -> list[str]:
    """Every rule the role set breaks for a user of a unit of ``unit_kind`` (English msgids)."""
    errors: list[str] = []
    if not roles:
        return ["Choose at least one role."]
    mlps = roles & MLPS_ADMIN_ROLES
    if len(mlps) > 1:
        errors.append("System, security and audit administrator exclude each other.")
    if mlps and roles - MLPS_ADMIN_ROLES:
        errors.append("An MLPS administrator role cannot be combined with a business role.")
    if roles & DISTRICT_ROLES and unit_kind != "district":
        errors.append("District roles can only be held in a district office.")
    if roles & CITY_ROLES and unit_kind != "city":
        errors.append("City roles can only be held in the city bureau.")
    if mlps and unit_kind != "city":
        errors.append("MLPS administrator roles can only be held in the city bureau.")
    return errors


# ------------------------------------------------------------------ who manages whom


def can_list_users(p: Principal) -> bool:
    return p.has(Role.SYSADMIN, Role.SECADMIN, Role.DISTRICT_ADMIN)


def can_see_user(p: Principal, user_unit_id: object) -> bool:
    """Whether the user exists *for p* (otherwise: 404, exactly like a missing user)."""
    if p.has(Role.SYSADMIN, Role.SECADMIN):
        return True
    return p.has(Role.DISTRICT_ADMIN) and user_unit_id == p.org_unit.id


def grantable_roles(p: Principal, unit_kind: str) -> frozenset[Role]:
    if p.has(Role.SYSADMIN):
        return frozenset(Role)
    if p.has(Role.DISTRICT_ADMIN) and unit_kind == "district":
        return DISTRICT_ADMIN_GRANTABLE
    return frozenset()


def can_manage(p: Principal, user_id: object, user_unit_id: object, roles: frozenset[Role]) -> bool:
    """Create/edit roles/deactivate/reset password of a user with ``roles`` in that unit."""
    if user_id == p.user_id:
        return False
    if p.has(Role.SYSADMIN):
        return True
    return p.has(Role.DISTRICT_ADMIN) and user_unit_id == p.org_unit.id and roles <= DISTRICT_ADMIN_GRANTABLE


def can_unlock(p: Principal) -> bool:
    return p.has(Role.SECADMIN)
