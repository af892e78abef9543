"""Login (登录): password, second factor, lockout, rate limits — and one generic failure.

Every way a login can fail (unknown user, wrong password, locked, inactive, no role, second
factor missing, wrong, replayed or not configured, rate limit) gives the caller the same
:class:`LoginFailed`; the reason goes only to the audit log. Unknown usernames run argon2 against
a dummy hash so that they take as long as known ones. Knows nothing of HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog

from renshe.accounts import passwords, ratelimit, sessions, totp
from renshe.accounts.principal import TOTP_ROLES, OrgUnitRef, Principal, Role
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, on_commit, tenant_transaction
from renshe.settings import Settings

log = structlog.get_logger(__name__)
GENERIC_FAILURE = (
    "The username, password or verification code is not correct, or the account cannot sign in right now."
)


class LoginFailed(Exception):
    """One answer for every failed login (never says why)."""

    def __init__(self, *, rate_limited: bool = False) -> None:
        super().__init__(GENERIC_FAILURE)
        self.rate_limited = rate_limited


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, for the audit log."""

    ip: str | None = None
    request_id: str | None = None
    operator: str | None = None  # who acts at the command line, when there is no principal


@dataclass(frozen=True, slots=True)
class LoginResult:
    principal: Principal
    must_change_password: bool


def actor_for(p: Principal | None, origin: Origin, username: str | None = None) -> audit.Actor:
    if p is None:
        return audit.Actor(None, username, None, origin.request_id, origin.ip)
    role = p.primary_role
    return audit.Actor(p.user_id, p.username, role.value if role else None, origin.request_id, origin.ip)


# ------------------------------------------------------------------ principal


USER_COLUMNS = """u.id, u.username, u.display_name, u.org_unit_id, u.password_hash, u.password_history,
  u.password_changed_at, u.must_change_password, u.totp_secret_enc, u.failed_logins,
  u.locked_until, u.active, u.version, o.code AS unit_code, o.kind AS unit_kind,
  o.name_zh AS unit_name_zh, o.name_en AS unit_name_en, o.active AS unit_active"""


async def user_roles(user_id: UUID) -> frozenset[Role]:
    rows = await current_transaction().connection.fetch(
        "SELECT role FROM role_grants WHERE user_id = $1", user_id
    )
    return frozenset(Role(r["role"]) for r in rows)


async def readable_units(unit_id: UUID, unit_kind: str) -> frozenset[UUID]:
    """A district reads itself; the city (and any unit above) reads its whole subtree."""
    if unit_kind == "district":
        return frozenset({unit_id})
    rows = await current_transaction().connection.fetch(
        """WITH RECURSIVE tree AS (
             SELECT id FROM org_units WHERE id = $1
             UNION SELECT o.id FROM org_units o JOIN tree t ON o.parent_id = t.id)
           SELECT id FROM tree""",
        unit_id,
    )
    return frozenset(r["id"] for r in rows)


async def build_principal(user: Any, roles: frozenset[Role]) -> Principal:
    """The principal of a user row selected with :data:`USER_COLUMNS` (in an open transaction)."""
    return Principal(
        user_id=user["id"],
        username=user["username"],
        display_name=user["display_name"],
        org_unit=OrgUnitRef(
            id=user["org_unit_id"],
            code=user["unit_code"],
            kind=user["unit_kind"],
            name_zh=user["unit_name_zh"],
            name_en=user["unit_name_en"],
        ),
        roles=roles,
        readable_units=await readable_units(user["org_unit_id"], user["unit_kind"]),
    )


async def root_unit_id() -> UUID:
    """Where attempts on unknown usernames are audited: the root of the org unit tree."""
    unit: UUID = await current_transaction().connection.fetchval(
        "SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY kind = 'city' DESC, code LIMIT 1"
    )
    return unit


# ------------------------------------------------------------------ authenticate


async def authenticate(
    settings: Settings, username: str, password: str, code: str | None, origin: Origin
) -> LoginResult:
    """The principal for valid credentials, else :class:`LoginFailed` (always the same)."""
    username = username.strip()[:64]
    if await ratelimit.exceeded(settings, origin.ip, username):
        log.warning("login.rate_limited", ip=origin.ip)
        raise LoginFailed(rate_limited=True)
    result: LoginResult | None = None
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        conn = current_transaction().connection
        user = await conn.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id"
            " WHERE u.username = $1 FOR UPDATE OF u",
            username,
        )
        if user is None:
            passwords.verify_password(None, password)  # same cost as a known user
            await audit.record(
                await root_unit_id(),
                actor_for(None, origin, username),
                "auth.login_failed",
                object_type="user",
                after={"reason": "unknown_user", "username": username},
            )
        else:
            result = await _check_known_user(settings, user, password, code, origin)
    if result is None:
        await ratelimit.count_failure(settings, origin.ip, username)
        raise LoginFailed
    return result


async def _check_known_user(
    settings: Settings, user: Any, password: str, code: str | None, origin: Origin
) -> LoginResult | None:
    conn = current_transaction().connection
    now = datetime.now(UTC)
    password_ok = passwords.verify_password(user["password_hash"], password)
    roles = await user_roles(user["id"])
    locked_until = user["locked_until"]
    lock_over = locked_until is not None and locked_until <= now
    failed_before = 0 if lock_over else user["failed_logins"]
    reason: str | None = None
    if locked_until is not None and not lock_over:
        reason = "locked"
    elif not user["active"] or not user["unit_active"]:
        reason = "inactive"
    elif not password_ok:
        reason = "bad_password"
    elif not roles:
        reason = "no_role"
    elif roles & TOTP_ROLES:
        reason = await _second_factor_problem(settings, user, code)
    actor = audit.Actor(user["id"], user["username"], None, origin.request_id, origin.ip)
    tenant = user["org_unit_id"]

    if reason is None:
        rehash = passwords.needs_rehash(user["password_hash"])
        await conn.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = now(),"
            " password_hash = CASE WHEN $2 THEN $3 ELSE password_hash END WHERE id = $1",
            user["id"],
            rehash,
            passwords.hash_password(password) if rehash else "",
        )
        principal = await build_principal(user, roles)
        must_change = user["must_change_password"] or passwords.is_expired(
            user["password_changed_at"], settings.password_max_age_days, now
        )
        await audit.record(
            tenant,
            actor_for(principal, origin),
            "auth.login",
            object_type="user",
            object_id=user["id"],
            after={"must_change_password": must_change},
        )
        return LoginResult(principal, must_change)

    await audit.record(
        tenant,
        actor,
        "auth.login_failed",
        object_type="user",
        object_id=user["id"],
        after={"reason": reason},
    )
    if reason in ("locked", "inactive"):
        if lock_over:  # an expired lock is simply cleared
            await conn.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1", user["id"]
            )
        return None
    failed = failed_before + 1
    if failed >= settings.lockout_failures:
        until = now + timedelta(minutes=settings.lockout_minutes)
        await conn.execute(
            "UPDATE users SET failed_logins = $2, locked_until = $3 WHERE id = $1",
            user["id"],
            failed,
            until,
        )
        await audit.record(
            tenant,
            actor,
            "auth.lockout",
            object_type="user",
            object_id=user["id"],
            after={"failed_logins": failed, "locked_until": until.isoformat()},
        )
        user_id = user["id"]

        async def end_sessions() -> None:
            await sessions.revoke_user(user_id)

        on_commit(end_sessions)
    else:
        await conn.execute(
            "UPDATE users SET failed_logins = $2, locked_until = NULL WHERE id = $1",
            user["id"],
            failed,
        )
    return None


async def _second_factor_problem(settings: Settings, user: Any, code: str | None) -> str | None:
    secret = (
        totp.decrypt_secret(settings, user["totp_secret_enc"], user["id"])
        if user["totp_secret_enc"]
        else None
    )
    if secret is None:
        return "totp_not_configured"  # no "skip": an admin without a second factor stays out
    if not code or not code.strip():
        return "totp_missing"
    if totp.matching_step(secret, code) is None:
        return "totp_invalid"
    if not await totp.accept_code(user["id"], secret, code):
        return "totp_replayed"
    return None


async def record_logout(principal: Principal, origin: Origin) -> None:
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        await audit.record(
            principal.org_unit.id,
            actor_for(principal, origin),
            "auth.logout",
            object_type="user",
            object_id=principal.user_id,
        )
