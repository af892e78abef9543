"""Demo accounts (演示账号), created by ``renshe seed --demo`` / ``renshe demo`` (idempotent).

For every district code C: ``clerk_C``, ``reviewer_C``, ``finance_C``, ``admin_C``; at the city:
``analyst_<city>``, ``cityadmin_<city>``, ``sysadmin``, ``secadmin``, ``auditor``. They all use
``RENSHE_DEMO_PASSWORD``; the admin roles share ``RENSHE_DEMO_TOTP_SECRET``. Demo users are not
forced to change their password.
"""

from __future__ import annotations

from renshe.accounts import service
from renshe.accounts.authentication import Origin
from renshe.accounts.principal import TOTP_ROLES, Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.settings import Settings

DISTRICT_ACCOUNTS = (
    ("clerk", Role.CLERK, "经办员"),
    ("reviewer", Role.REVIEWER, "审核员"),
    ("finance", Role.FINANCE, "财务"),
    ("admin", Role.DISTRICT_ADMIN, "管理员"),
)
CITY_ACCOUNTS = (
    ("analyst", Role.CITY_ANALYST, "分析员"),
    ("cityadmin", Role.CITY_ADMIN, "管理员"),
)
MLPS_ACCOUNTS = (
    ("sysadmin", Role.SYSADMIN, "系统管理员"),
    ("secadmin", Role.SECADMIN, "安全管理员"),
    ("auditor", Role.AUDITOR, "审计管理员"),
)


async def _plan() -> list[tuple[str, str, Role, str]]:
    """(username, unit code, role, display name) of every demo account."""
    async with tenant_transaction(TenantContext.none()):
        units = await current_transaction().connection.fetch(
            "SELECT code, kind, name_zh FROM org_units WHERE active AND kind IN ('city', 'district')"
            " ORDER BY code"
        )
    plan: list[tuple[str, str, Role, str]] = []
    cities = [u for u in units if u["kind"] == "city"]
    for unit in units:
        accounts = DISTRICT_ACCOUNTS if unit["kind"] == "district" else CITY_ACCOUNTS
        for prefix, role, title in accounts:
            plan.append((f"{prefix}_{unit['code']}", unit["code"], role, unit["name_zh"] + title))
    if cities:
        city = cities[0]
        for username, role, title in MLPS_ACCOUNTS:
            plan.append((username, city["code"], role, title))
    return plan


async def seed_demo_users(settings: Settings) -> list[tuple[str, list[str]]]:
    """Create the demo accounts that do not exist yet; return every (username, roles)."""
    origin = Origin(operator="seed")
    accounts: list[tuple[str, list[str]]] = []
    async with tenant_transaction(TenantContext.none()):
        existing = {
            r["username"] for r in await current_transaction().connection.fetch("SELECT username FROM users")
        }
    for username, unit_code, role, display_name in await _plan():
        if username not in existing:
            await service.create_user(
                settings,
                None,
                origin,
                username=username,
                org_unit=unit_code,
                roles=frozenset({role}),
                display_name=display_name,
                password=settings.demo_password,
                must_change_password=False,
                totp_secret=settings.demo_totp_secret if role in TOTP_ROLES else None,
            )
        accounts.append((username, [role.value]))
    return accounts
