"""Who is acting: the authenticated principal of a request, and the nine roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from renshe.db.tenant import TenantContext


class Role(StrEnum):
    CLERK = "clerk"  # 经办员
    REVIEWER = "reviewer"  # 审核员
    FINANCE = "finance"  # 财务
    DISTRICT_ADMIN = "district_admin"  # 区管理员
    CITY_ANALYST = "city_analyst"  # 市局分析员
    CITY_ADMIN = "city_admin"  # 市局管理员
    SYSADMIN = "sysadmin"  # 系统管理员
    SECADMIN = "secadmin"  # 安全管理员
    AUDITOR = "auditor"  # 审计管理员


DISTRICT_ROLES = frozenset({Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.DISTRICT_ADMIN})
CITY_ROLES = frozenset({Role.CITY_ANALYST, Role.CITY_ADMIN})
# 三员分立: the three MLPS admin roles are mutually exclusive and hold no business role.
MLPS_ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})
BUSINESS_ROLES = DISTRICT_ROLES | CITY_ROLES
TOTP_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR, Role.CITY_ADMIN, Role.DISTRICT_ADMIN})


@dataclass(frozen=True, slots=True)
class OrgUnitRef:
    id: UUID
    code: str
    kind: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user acting in a request (or an API call)."""

    user_id: UUID
    username: str
    display_name: str
    org_unit: OrgUnitRef
    roles: frozenset[Role]
    # the org units this principal may read: its own unit, plus the subtree for city-level units
    readable_units: frozenset[UUID]
    session_id: str | None = None

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_district(self) -> bool:
        return self.org_unit.kind == "district"

    def context(self, request_id: str | None = None) -> TenantContext:
        """The tenant context for this principal's transactions."""
        if self.is_district:
            return TenantContext.district(self.org_unit.id, self.user_id, request_id)
        return TenantContext.subtree(self.readable_units, self.org_unit.id, self.user_id, request_id)

    @property
    def primary_role(self) -> Role | None:
        order = list(Role)
        return min(self.roles, key=order.index) if self.roles else None
