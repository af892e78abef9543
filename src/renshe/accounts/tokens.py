"""API bearer tokens (接口令牌): opaque, stored as SHA-256, expiring, revocable.

A token answers only while its user is active, not locked and its org unit active; the
principal is rebuilt from the database on every call. The events that end a user's browser
sessions (own password change, admin reset, deactivation, role change, second-factor reset)
also revoke all their tokens (:func:`revoke_user`), for good: a reactivated user or one who has
since set a new password asks for a new token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

from renshe.accounts.authentication import (
    USER_COLUMNS,
    Origin,
    actor_for,
    build_principal,
)
from renshe.accounts.principal import Principal, Role
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.settings import Settings

PREFIX = "rs_"  # lets secret scanners recognise a leaked token


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue(settings: Settings, principal: Principal, origin: Origin) -> tuple[str, int]:
    """A new token for ``principal``: (token, seconds until it expires)."""
    token = PREFIX + secrets.token_urlsafe(32)
    lifetime = settings.api_token_hours * 3600
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        token_id = await current_transaction().connection.fetchval(
            "INSERT INTO api_tokens (user_id, token_hash, expires_at) VALUES ($1, $2, $3) RETURNING id",
            principal.user_id,
            _digest(token),
            datetime.now(UTC) + timedelta(seconds=lifetime),
        )
        await audit.record(
            principal.org_unit.id,
            actor_for(principal, origin),
            "auth.token_issued",
            object_type="api_token",
            object_id=token_id,
            after={"expires_in": lifetime},
        )
    return token, lifetime


async def resolve(token: str) -> Principal | None:
    """The principal a presented token stands for, or None (unknown, expired, revoked, user
    inactive or locked)."""
    if not token.startswith(PREFIX) or len(token) > 128:
        return None
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        # One round trip for the token, its user and the roles (this runs on every API call).
        user = await conn.fetchrow(
            f"""SELECT t.id AS token_id,
                       (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute') AS stale,
                       ARRAY(SELECT g.role FROM role_grants g WHERE g.user_id = u.id) AS roles,
                       {USER_COLUMNS}
                FROM api_tokens t JOIN users u ON u.id = t.user_id
                JOIN org_units o ON o.id = u.org_unit_id
                WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()
                  AND u.active AND o.active
                  AND (u.locked_until IS NULL OR u.locked_until <= now())
                  AND NOT u.must_change_password""",
            _digest(token),
        )
        if user is None:
            return None
        roles = frozenset(Role(r) for r in user["roles"])
        if not roles:
            return None
        if user["stale"]:  # "last used" to the minute is enough, and spares a write per call
            await conn.execute("UPDATE api_tokens SET last_used_at = now() WHERE id = $1", user["token_id"])
        return await build_principal(user, roles)


async def revoke(token: str, principal: Principal, origin: Origin) -> bool:
    async with tenant_transaction(TenantContext.none(origin.request_id)):
        token_id = await current_transaction().connection.fetchval(
            "UPDATE api_tokens SET revoked_at = now() WHERE token_hash = $1 AND user_id = $2"
            " AND revoked_at IS NULL RETURNING id",
            _digest(token),
            principal.user_id,
        )
        if token_id is None:
            return False
        await audit.record(
            principal.org_unit.id,
            actor_for(principal, origin),
            "auth.token_revoked",
            object_type="api_token",
            object_id=token_id,
        )
    return True


async def revoke_user(user_id: UUID, tenant: UUID, actor: audit.Actor, reason: str) -> int:
    """Revoke every live token of ``user_id`` in the caller's transaction (so it commits or rolls
    back with the change that caused it), audited with the number revoked and why."""
    conn = current_transaction().connection
    revoked: int = await conn.fetchval(
        "WITH r AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " RETURNING 1) SELECT count(*) FROM r",
        user_id,
    )
    if revoked:
        await audit.record(
            tenant,
            actor,
            "auth.tokens_revoked",
            object_type="user",
            object_id=user_id,
            after={"count": revoked, "reason": reason},
        )
    return revoked
