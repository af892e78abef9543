"""The user list (用户列表) for admins: filtered, paginated, scoped to what the viewer may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from renshe.accounts import rules
from renshe.accounts.principal import Principal, Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import Forbidden

PER_PAGE = 50
STATUSES = ("active", "inactive", "locked")


@dataclass(frozen=True, slots=True)
class UserPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def size(self) -> int:  # what the page size selector (ui/table.html pagination) reads
        return self.per_page


async def list_users(
    by: Principal | None,
    *,
    unit_code: str | None = None,
    role: str | None = None,
    status: str | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> UserPage:
    if by is not None and not rules.can_list_users(by):
        raise Forbidden()
    page = max(1, page)
    where: list[str] = []
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    # A district admin sees their own office only, whatever the filters say.
    if by is not None and not by.has(Role.SYSADMIN, Role.SECADMIN):
        where.append(f"u.org_unit_id = {arg(by.org_unit.id)}")
    if unit_code:
        where.append(f"o.code = {arg(unit_code)}")
    if role:
        where.append(f"EXISTS (SELECT 1 FROM role_grants g WHERE g.user_id = u.id AND g.role = {arg(role)})")
    if status == "active":
        where.append("u.active")
    elif status == "inactive":
        where.append("NOT u.active")
    elif status == "locked":
        where.append("u.locked_until > now()")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        total: int = await conn.fetchval(
            f"SELECT count(*) FROM users u JOIN org_units o ON o.id = u.org_unit_id {clause}", *args
        )
        rows = await conn.fetch(
            f"""SELECT u.id, u.username, u.display_name, u.active, u.locked_until, u.failed_logins,
                       u.last_login_at, o.code AS unit_code, o.name_zh AS unit_name_zh,
                       o.name_en AS unit_name_en, u.locked_until > now() AS locked,
                       array(SELECT g.role FROM role_grants g WHERE g.user_id = u.id
                             ORDER BY g.role) AS roles
                FROM users u JOIN org_units o ON o.id = u.org_unit_id {clause}
                ORDER BY o.code, u.username
                LIMIT {arg(per_page)} OFFSET {arg((page - 1) * per_page)}""",
            *args,
        )
    order = list(Role)
    items = []
    for r in rows:
        item = dict(r)
        item["locked"] = bool(r["locked"])
        item["roles"] = sorted((Role(x) for x in r["roles"]), key=order.index)
        items.append(item)
    return UserPage(items, total, page, per_page)


async def org_units_for(by: Principal | None) -> list[dict[str, Any]]:
    """The units ``by`` may pick in filters and forms (a district admin: their own only)."""
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch(
            "SELECT id, code, kind, name_zh, name_en FROM org_units WHERE active ORDER BY code"
        )
    units = [dict(r) for r in rows]
    if by is not None and not by.has(Role.SYSADMIN, Role.SECADMIN):
        units = [u for u in units if u["id"] == by.org_unit.id]
    return units
