"""Server-side browser sessions (会话) in Redis.

The cookie holds only a random id; Redis holds ``session:<sha256(id)>`` (so a dump of Redis does
not give usable cookies) with the principal, the times and the CSRF token. A per-user set
``user_sessions:<user id>`` lists a user's sessions so that deactivation, lockout, role changes
and password resets end them all. Expiry: idle (``session_idle_minutes``) and absolute
(``session_absolute_hours``), checked on every load; Redis' TTL only cleans up.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any
from uuid import UUID

from renshe.accounts.principal import OrgUnitRef, Principal, Role
from renshe.redis import get_redis
from renshe.settings import Settings

COOKIE_NAME = "renshe_session"
# Don't rewrite the session on every request: last_seen moves in steps of this many seconds.
TOUCH_EVERY_SECONDS = 15


def _key(session_id: str) -> str:
    return "session:" + hashlib.sha256(session_id.encode()).hexdigest()


def _user_key(user_id: UUID | str) -> str:
    return f"user_sessions:{user_id}"


@dataclass(slots=True)
class Session:
    id: str
    principal: Principal
    created_at: float
    last_seen: float
    csrf_token: str
    must_change_password: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        p = self.principal
        return json.dumps(
            {
                "user_id": str(p.user_id),
                "created_at": self.created_at,
                "last_seen": self.last_seen,
                "csrf": self.csrf_token,
                "must_change_password": self.must_change_password,
                "principal": {
                    "username": p.username,
                    "display_name": p.display_name,
                    "org_unit": {
                        "id": str(p.org_unit.id),
                        "code": p.org_unit.code,
                        "kind": p.org_unit.kind,
                        "name_zh": p.org_unit.name_zh,
                        "name_en": p.org_unit.name_en,
                    },
                    "roles": sorted(r.value for r in p.roles),
                    "readable_units": sorted(str(u) for u in p.readable_units),
                },
            }
        ).encode()

    @classmethod
    def from_json(cls, session_id: str, raw: bytes | str) -> Session:
        d = json.loads(raw)
        p = d["principal"]
        unit = p["org_unit"]
        principal = Principal(
            user_id=UUID(d["user_id"]),
            username=p["username"],
            display_name=p["display_name"],
            org_unit=OrgUnitRef(
                id=UUID(unit["id"]),
                code=unit["code"],
                kind=unit["kind"],
                name_zh=unit["name_zh"],
                name_en=unit["name_en"],
            ),
            roles=frozenset(Role(r) for r in p["roles"]),
            readable_units=frozenset(UUID(u) for u in p["readable_units"]),
            session_id=session_id,
        )
        return cls(
            id=session_id,
            principal=principal,
            created_at=float(d["created_at"]),
            last_seen=float(d["last_seen"]),
            csrf_token=d["csrf"],
            must_change_password=bool(d.get("must_change_password")),
        )


def _ttl(settings: Settings, s: Session, now: float) -> int:
    idle_end = s.last_seen + settings.session_idle_minutes * 60
    absolute_end = s.created_at + settings.session_absolute_hours * 3600
    return max(1, int(min(idle_end, absolute_end) - now) + 1)


def is_expired(settings: Settings, s: Session, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return (
        now - s.last_seen > settings.session_idle_minutes * 60
        or now - s.created_at > settings.session_absolute_hours * 3600
    )


async def create(settings: Settings, principal: Principal, *, must_change_password: bool = False) -> Session:
    """A new session with a new random id (never one the browser presented: no fixation)."""
    now = time.time()
    sid = secrets.token_urlsafe(32)
    s = Session(
        id=sid,
        principal=replace(principal, session_id=sid),
        created_at=now,
        last_seen=now,
        csrf_token=secrets.token_urlsafe(32),
        must_change_password=must_change_password,
    )
    redis = get_redis()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(_key(sid), s.to_json(), ex=_ttl(settings, s, now))
        pipe.sadd(_user_key(principal.user_id), _key(sid))
        pipe.expire(_user_key(principal.user_id), settings.session_absolute_hours * 3600 + 60)
        await pipe.execute()
    return s


async def load(settings: Settings, session_id: str) -> Session | None:
    """The live session for ``session_id``, or None (unknown, expired or revoked).

    A live session's ``last_seen`` moves forward (sliding idle timeout).
    """
    if not session_id or len(session_id) > 128:
        return None
    redis = get_redis()
    raw = await redis.get(_key(session_id))
    if raw is None:
        return None
    try:
        s = Session.from_json(session_id, raw)
    except (ValueError, KeyError, TypeError):
        await redis.delete(_key(session_id))
        return None
    now = time.time()
    if is_expired(settings, s, now):
        await destroy(session_id, s.principal.user_id)
        return None
    if now - s.last_seen >= TOUCH_EVERY_SECONDS:
        s.last_seen = now
        await redis.set(_key(session_id), s.to_json(), ex=_ttl(settings, s, now))
    return s


async def save(settings: Settings, s: Session) -> None:
    await get_redis().set(_key(s.id), s.to_json(), ex=_ttl(settings, s, time.time()))


async def destroy(session_id: str, user_id: UUID | None = None) -> None:
    redis = get_redis()
    await redis.delete(_key(session_id))
    if user_id is not None:
        await redis.srem(_user_key(user_id), _key(session_id))


async def revoke_user(user_id: UUID) -> int:
    """End every session of ``user_id`` (deactivated, locked, roles or password changed)."""
    redis = get_redis()
    keys = await redis.smembers(_user_key(user_id))
    if keys:
        await redis.delete(*keys)
    await redis.delete(_user_key(user_id))
    return len(keys)


async def raw_get(session_id: str) -> dict[str, Any] | None:
    """The stored JSON of a session (for operators and tests)."""
    raw = await get_redis().get(_key(session_id))
    return None if raw is None else json.loads(raw)


async def raw_put(session_id: str, data: dict[str, Any]) -> None:
    await get_redis().set(_key(session_id), json.dumps(data).encode(), keepttl=True)
