"""Second factor (双因素): TOTP codes (RFC 6238, 30-second steps, 6 digits).

Secrets are stored encrypted (AES-256-GCM, key derived from ``RENSHE_DATA_KEY``), a code is
accepted for the current step and one step either side, and each step is accepted only once per
user (the used steps are remembered in Redis until they can no longer match).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from datetime import UTC, datetime
from uuid import UUID

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from renshe.redis import get_redis
from renshe.settings import Settings

ISSUER = "renshe"
DRIFT_STEPS = 1
_ENC_VERSION = "v1"


def _key(settings: Settings) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"renshe totp secret v1").derive(
        settings.data_key.encode()
    )


def new_secret() -> str:
    return pyotp.random_base32()


def encrypt_secret(settings: Settings, secret: str, user_id: UUID) -> str:
    """``v1:<nonce>:<ciphertext>`` (base64); the user id is bound in as associated data, so a
    secret copied onto another user's row does not decrypt."""
    nonce = os.urandom(12)
    sealed = AESGCM(_key(settings)).encrypt(nonce, secret.encode(), str(user_id).encode())
    b64 = base64.urlsafe_b64encode
    return f"{_ENC_VERSION}:{b64(nonce).decode()}:{b64(sealed).decode()}"


def decrypt_secret(settings: Settings, stored: str, user_id: UUID) -> str | None:
    """The clear secret, or None when the stored value is missing or does not decrypt."""
    try:
        version, nonce, sealed = stored.split(":")
        if version != _ENC_VERSION:
            return None
        b64 = base64.urlsafe_b64decode
        clear = AESGCM(_key(settings)).decrypt(b64(nonce), b64(sealed), str(user_id).encode())
    except Exception:  # any tampering or wrong key means "no usable secret"
        return None
    return clear.decode()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step (within the drift window) whose code is ``code``, else None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    now = time.time() if now is None else now
    current = totp.timecode(datetime.fromtimestamp(now, UTC))
    found: int | None = None
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        step = current + offset
        # compare every candidate (constant time each) so the answer time does not tell which
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


async def accept_code(user_id: UUID, secret: str, code: str, now: float | None = None) -> bool:
    """True once for a valid code: a replay of the same step is refused."""
    step = matching_step(secret, code, now)
    if step is None:
        return False
    # Kept a little longer than the window in which the step can still match. Per key: a key
    # replaced a moment ago (a lost authenticator) must not make the new key's first code a replay.
    ttl = 30 * (2 * DRIFT_STEPS + 2)
    key = hashlib.sha256(secret.encode()).hexdigest()[:12]
    fresh = await get_redis().set(f"totp:used:{user_id}:{key}:{step}", b"1", nx=True, ex=ttl)
    return bool(fresh)
