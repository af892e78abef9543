"""User administration (用户管理): create, roles, deactivate, reset password, unlock, own password.

Plain async functions that know nothing of HTTP. Each opens its own transaction on the global
tables and writes its audit record (tenant = the user's org unit) in that same transaction.
``by`` is the acting principal, checked against :mod:`renshe.accounts.rules`; ``by=None`` is an
operator at the command line. A user another principal may not see is :class:`NotFound`.
When a user's access shrinks or their credentials change, their API tokens are revoked in the
same transaction and their browser sessions end after commit (:func:`_end_access`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import text_rules
from renshe.accounts import passwords, rules, sessions, tokens, totp
from renshe.accounts.authentication import USER_COLUMNS, Origin, actor_for, user_roles
from renshe.accounts.principal import TOTP_ROLES, Principal, Role
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, on_commit, tenant_transaction
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.settings import Settings


@dataclass(frozen=True, slots=True)
class Issued:
    """What an admin must hand over once: a temporary password and/or a TOTP set-up URI."""

    user_id: UUID
    username: str
    temporary_password: str | None = None
    totp_uri: str | None = None
    totp_secret: str | None = None


def _actor(by: Principal | None, origin: Origin) -> audit.Actor:
    """The acting principal, or the operator at the command line (``cli``, ``seed``)."""
    return actor_for(by, origin, None if by else (origin.operator or "cli"))


async def _end_access(user: Any, actor: audit.Actor, reason: str) -> None:
    """Revoke the user's API tokens now (in this transaction: really revoked, so reactivating the
    user or a later password change does not revive them) and end their sessions after commit."""
    user_id: UUID = user["id"]
    await tokens.revoke_user(user_id, user["org_unit_id"], actor, reason)

    async def end() -> None:
        await sessions.revoke_user(user_id)

    on_commit(end)


async def _unit(code_or_id: str | UUID) -> Any:
    conn = current_transaction().connection
    if isinstance(code_or_id, UUID):
        return await conn.fetchrow("SELECT * FROM org_units WHERE id = $1", code_or_id)
    return await conn.fetchrow("SELECT * FROM org_units WHERE code = $1", code_or_id)


async def _load(by: Principal | None, user_id: UUID, *, lock: bool = False) -> tuple[Any, frozenset[Role]]:
    user = await current_transaction().connection.fetchrow(
        f"SELECT {USER_COLUMNS} FROM users u JOIN org_units o ON o.id = u.org_unit_id"
        f" WHERE u.id = $1{' FOR UPDATE OF u' if lock else ''}",
        user_id,
    )
    if user is None or (by is not None and not rules.can_see_user(by, user["org_unit_id"])):
        raise NotFound("No such user.")
    return user, await user_roles(user_id)


def _require_manage(by: Principal | None, user: Any, roles: frozenset[Role]) -> None:
    if by is not None and not rules.can_manage(by, user["id"], user["org_unit_id"], roles):
        raise Forbidden("You are not allowed to manage this user.")


def _check_version(user: Any, version: int | None) -> None:
    if version is not None and version != user["version"]:
        raise Conflict("Someone else changed this user meanwhile; reload and try again.")


def _role_list(roles: frozenset[Role]) -> list[str]:
    return sorted(r.value for r in roles)


def _validate_roles(by: Principal | None, roles: frozenset[Role], unit: Any) -> None:
    errors = rules.role_errors(roles, unit["kind"])
    if not errors and by is not None:
        refused = roles - rules.grantable_roles(by, unit["kind"])
        if refused:
            errors = ["You cannot grant these roles here."]
    if errors:
        raise ValidationFailed({"roles": errors[0]})


async def _set_totp(settings: Settings, user_id: UUID, username: str, secret: str | None) -> Issued:
    secret = secret or totp.new_secret()
    await current_transaction().connection.execute(
        "UPDATE users SET totp_secret_enc = $2 WHERE id = $1",
        user_id,
        totp.encrypt_secret(settings, secret, user_id),
    )
    return Issued(user_id, username, totp_uri=totp.provisioning_uri(secret, username), totp_secret=secret)


# ------------------------------------------------------------------ create


async def create_user(
    settings: Settings,
    by: Principal | None,
    origin: Origin,
    *,
    username: str,
    org_unit: str | UUID,
    roles: frozenset[Role],
    display_name: str = "",
    password: str | None = None,
    must_change_password: bool | None = None,
    totp_secret: str | None = None,
) -> Issued:
    """Create a user. Without ``password`` a temporary one is generated (to change at first
    login). A user given a TOTP role gets a second-factor secret, returned once."""
    username = username.strip()
    display_name = display_name.strip()[:100]
    errors: dict[str, str] = {}
    if (problem := rules.username_error(username)) is not None:
        errors["username"] = problem
    if (invisible := text_rules.invisible_error(display_name)) is not None:
        errors["display_name"] = invisible
    if password is not None and (problems := passwords.policy_errors(password, username)):
        errors["password"] = problems[0]
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        unit = await _unit(org_unit)
        if unit is None or not unit["active"]:
            errors["org_unit"] = "Choose an active org unit."
        elif (
            by is not None
            and by.has(Role.DISTRICT_ADMIN)
            and not by.has(Role.SYSADMIN)
            and unit["id"] != by.org_unit.id
        ):
            errors["org_unit"] = "You can only add users to your own office."
        else:
            try:
                _validate_roles(by, roles, unit)
            except ValidationFailed as exc:
                errors.update(exc.errors)
        if errors:
            raise ValidationFailed(errors)
        temporary = None
        if password is None:
            temporary = passwords.temporary_password(username)
        must_change = (password is None) if must_change_password is None else must_change_password
        conn = current_transaction().connection
        try:
            user_id: UUID = await conn.fetchval(
                "INSERT INTO users (username, display_name, org_unit_id, password_hash,"
                " must_change_password) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                username,
                display_name,
                unit["id"],
                passwords.hash_password(password or temporary or ""),
                must_change,
            )
        except asyncpg.UniqueViolationError:
            raise ValidationFailed({"username": "This username is already taken."}) from None
        await conn.executemany(
            "INSERT INTO role_grants (user_id, role, granted_by) VALUES ($1, $2, $3)",
            [(user_id, r.value, by.user_id if by else None) for r in sorted(roles)],
        )
        issued = Issued(user_id, username, temporary_password=temporary)
        if roles & TOTP_ROLES:
            second = await _set_totp(settings, user_id, username, totp_secret)
            issued = Issued(user_id, username, temporary, second.totp_uri, second.totp_secret)
        await audit.record(
            unit["id"],
            _actor(by, origin),
            "user.created",
            object_type="user",
            object_id=user_id,
            after={
                "username": username,
                "org_unit": unit["code"],
                "roles": _role_list(roles),
                "must_change_password": must_change,
                "totp": bool(roles & TOTP_ROLES),
            },
        )
    return issued


# ------------------------------------------------------------------ change


async def change_roles(
    settings: Settings,
    by: Principal | None,
    origin: Origin,
    user_id: UUID,
    roles: frozenset[Role],
    *,
    version: int | None = None,
) -> Issued:
    """Replace a user's roles; their sessions end (they sign in again with the new roles)."""
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        user, old = await _load(by, user_id, lock=True)
        _require_manage(by, user, old)
        _check_version(user, version)
        unit = await _unit(user["org_unit_id"])
        _validate_roles(by, roles, unit)
        conn = current_transaction().connection
        await conn.execute("DELETE FROM role_grants WHERE user_id = $1", user_id)
        await conn.executemany(
            "INSERT INTO role_grants (user_id, role, granted_by) VALUES ($1, $2, $3)",
            [(user_id, r.value, by.user_id if by else None) for r in sorted(roles)],
        )
        await conn.execute(
            "UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1", user_id
        )
        issued = Issued(user_id, user["username"])
        if roles & TOTP_ROLES and not user["totp_secret_enc"]:
            issued = await _set_totp(settings, user_id, user["username"], None)
        await audit.record(
            user["org_unit_id"],
            _actor(by, origin),
            "user.roles_changed",
            object_type="user",
            object_id=user_id,
            before={"roles": _role_list(old)},
            after={"roles": _role_list(roles)},
        )
        await _end_access(user, _actor(by, origin), "user.roles_changed")
    return issued


async def set_active(
    by: Principal | None, origin: Origin, user_id: UUID, active: bool, *, version: int | None = None
) -> None:
    """Deactivate (sessions end, sign-in refused) or reactivate a user. Never deletes."""
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        user, roles = await _load(by, user_id, lock=True)
        _require_manage(by, user, roles)
        _check_version(user, version)
        if user["active"] == active:
            return
        await current_transaction().connection.execute(
            "UPDATE users SET active = $2, version = version + 1, updated_at = now() WHERE id = $1",
            user_id,
            active,
        )
        await audit.record(
            user["org_unit_id"],
            _actor(by, origin),
            "user.reactivated" if active else "user.deactivated",
            object_type="user",
            object_id=user_id,
            before={"active": user["active"]},
            after={"active": active},
        )
        if not active:
            await _end_access(user, _actor(by, origin), "user.deactivated")


async def reset_password(by: Principal | None, origin: Origin, user_id: UUID) -> Issued:
    """Give the user a temporary password, to be changed at the next sign-in."""
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        user, roles = await _load(by, user_id, lock=True)
        _require_manage(by, user, roles)
        temporary = passwords.temporary_password(user["username"])
        await current_transaction().connection.execute(
            "UPDATE users SET password_hash = $2, password_history = $3, password_changed_at = now(),"
            " must_change_password = true, version = version + 1, updated_at = now() WHERE id = $1",
            user_id,
            passwords.hash_password(temporary),
            passwords.new_history(user["password_hash"], list(user["password_history"])),
        )
        await audit.record(
            user["org_unit_id"],
            _actor(by, origin),
            "user.password_reset",
            object_type="user",
            object_id=user_id,
            after={"must_change_password": True},
        )
        await _end_access(user, _actor(by, origin), "user.password_reset")
    return Issued(user_id, user["username"], temporary_password=temporary)


async def reset_second_factor(
    settings: Settings, by: Principal | None, origin: Origin, user_id: UUID
) -> Issued:
    """A new authenticator key (TOTP) for a user who lost theirs — a new phone, a wiped app. The
    old key stops working at once, the new one is shown once like at creation, and the user's
    sessions end. Only for users whose roles sign in with a second factor."""
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        user, roles = await _load(by, user_id, lock=True)
        _require_manage(by, user, roles)
        if not roles & TOTP_ROLES:
            raise Conflict("This user signs in without a second factor: there is no key to replace.")
        await current_transaction().connection.execute(
            "UPDATE users SET version = version + 1, updated_at = now() WHERE id = $1", user_id
        )
        issued = await _set_totp(settings, user_id, user["username"], None)
        await audit.record(
            user["org_unit_id"],
            _actor(by, origin),
            "user.second_factor_reset",
            object_type="user",
            object_id=user_id,
            before={"has_totp": user["totp_secret_enc"] is not None},
            after={"has_totp": True},
        )
        await _end_access(user, _actor(by, origin), "user.second_factor_reset")
    return issued


async def unlock(by: Principal | None, origin: Origin, user_id: UUID) -> None:
    """Clear a lockout (secadmin's job; an operator at the command line may too)."""
    if by is not None and not rules.can_unlock(by):
        raise Forbidden("You are not allowed to unlock accounts.")
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        user, _ = await _load(by, user_id, lock=True)
        await current_transaction().connection.execute(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, version = version + 1,"
            " updated_at = now() WHERE id = $1",
            user_id,
        )
        await audit.record(
            user["org_unit_id"],
            _actor(by, origin),
            "user.unlocked",
            object_type="user",
            object_id=user_id,
            before={
                "failed_logins": user["failed_logins"],
                "locked_until": user["locked_until"].isoformat() if user["locked_until"] else None,
            },
            after={"failed_logins": 0, "locked_until": None},
        )


async def change_own_password(
    settings: Settings,
    principal: Principal,
    origin: Origin,
    *,
    current: str,
    new: str,
    repeat: str,
) -> None:
    """Change one's own password under the policy; errors are per form field."""
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        user, _ = await _load(None, principal.user_id, lock=True)
        errors: dict[str, str] = {}
        if not passwords.verify_password(user["password_hash"], current):
            errors["current_password"] = "The current password is not correct."  # noqa: S105
        if new != repeat:
            errors["repeat_password"] = "The two new passwords differ."  # noqa: S105
        history = [user["password_hash"], *user["password_history"]]
        if problems := passwords.policy_errors(new, user["username"], history):
            errors["new_password"] = problems[0]
        if errors:
            raise ValidationFailed(errors)
        await current_transaction().connection.execute(
            "UPDATE users SET password_hash = $2, password_history = $3, password_changed_at = now(),"
            " must_change_password = false, version = version + 1, updated_at = now() WHERE id = $1",
            user["id"],
            passwords.hash_password(new),
            passwords.new_history(user["password_hash"], list(user["password_history"])),
        )
        await audit.record(
            user["org_unit_id"],
            actor_for(principal, origin),
            "user.password_changed",
            object_type="user",
            object_id=user["id"],
        )
        # The page ends the browser sessions itself (it keeps the one that made the change).
        await tokens.revoke_user(
            user["id"], user["org_unit_id"], actor_for(principal, origin), "user.password_changed"
        )


# ------------------------------------------------------------------ read


async def get_user(by: Principal | None, user_id: UUID) -> dict[str, Any]:
    async with tenant_transaction(TenantContext.none()):
        user, roles = await _load(by, user_id)
    return _view(user, roles)


async def user_id_by_username(username: str) -> UUID:
    async with tenant_transaction(TenantContext.none()):
        found: UUID | None = await current_transaction().connection.fetchval(
            "SELECT id FROM users WHERE username = $1", username
        )
    if found is None:
        raise NotFound("No such user.")
    return found


def _view(user: Any, roles: frozenset[Role]) -> dict[str, Any]:
    keep = (
        "id",
        "username",
        "display_name",
        "org_unit_id",
        "unit_code",
        "unit_name_zh",
        "unit_name_en",
        "unit_kind",
        "active",
        "locked_until",
        "failed_logins",
        "version",
        "must_change_password",
    )
    view = {k: user[k] for k in keep}
    view["roles"] = sorted(roles, key=list(Role).index)
    view["has_totp"] = user["totp_secret_enc"] is not None
    view["signs_in_with_totp"] = bool(roles & TOTP_ROLES)  # what decides whether a reset is possible
    view["locked"] = user["locked_until"] is not None and user["locked_until"] > datetime.now(UTC)
    return view
