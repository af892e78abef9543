"""Card signing keys (人才卡签名密钥): the Ed25519 keys that sign card tokens and status lists.

One key signs at a time (``active``). ``renshe keys rotate-signing`` makes a new active key and
turns the old one into a ``verifying`` key: still published at ``/verify/keys``, so the cards it
signed stay valid, but it signs nothing new. ``renshe keys retire-signing KID`` withdraws a
verifying key; cards still signed with it then read "unknown signature" until they are renewed or
reissued. The first issuance on a new installation creates the first key.

The private half is sealed with the data key (:mod:`renshe.protection.fields`), bound to its row,
like every other secret at rest. The table is global (a key signs for every district); functions
here run in the caller's open transaction, whatever its tenant context.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from renshe.db.tenant import current_transaction
from renshe.errors import Conflict, NotFound
from renshe.i18n import lazy
from renshe.protection.fields import Place, decrypt, encrypt

NO_SUCH_KEY = lazy("No signing key with this id.")
ACTIVE_CANNOT_RETIRE = lazy("The active signing key cannot be retired: rotate first.")


@dataclass(frozen=True, slots=True)
class Signer:
    """The active key, ready to sign (kept for one job or request, never logged)."""

    kid: str
    private_key: Ed25519PrivateKey


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """A key as ``/verify/keys`` publishes it: id, raw public key, since when, until when it signed."""

    kid: str
    public_key: bytes
    state: str
    not_before: datetime
    signed_until: datetime | None

    @property
    def public_key_b64(self) -> str:
        return base64.urlsafe_b64encode(self.public_key).rstrip(b"=").decode()


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


def _place(kid: str) -> Place:
    return Place("card_signing_keys", "private_key", "city", kid)


def key_id(public_key: bytes) -> str:
    """Eight hex characters of the public key's hash: short (every QR carries it), stable."""
    return hashlib.sha256(b"renshe card key\x00" + public_key).hexdigest()[:8]


def _new_key() -> tuple[str, bytes, str]:
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    kid = key_id(public)
    return kid, public, encrypt(base64.b64encode(raw).decode(), _place(kid))


async def _insert_active() -> None:
    kid, public, sealed = _new_key()
    # a second creator at the same moment waits on the one-active index and then does nothing
    await _conn().execute(
        """INSERT INTO card_signing_keys (kid, public_key, private_key) VALUES ($1, $2, $3)
           ON CONFLICT (state) WHERE state = 'active' DO NOTHING""",
        kid,
        public,
        sealed,
    )


async def active_signer() -> Signer:
    """The key that signs now, created on first use."""
    row = await _conn().fetchrow("SELECT kid, private_key FROM card_signing_keys WHERE state = 'active'")
    if row is None:
        await _insert_active()
        row = await _conn().fetchrow("SELECT kid, private_key FROM card_signing_keys WHERE state = 'active'")
    raw = base64.b64decode(decrypt(row["private_key"], _place(row["kid"])))
    return Signer(row["kid"], Ed25519PrivateKey.from_private_bytes(raw))


async def rotate() -> tuple[str | None, str]:
    """The active key stops signing (it keeps verifying); a new key becomes active. Returns
    (old kid or None, new kid). Concurrent rotations take turns on the active row."""
    old = await _conn().fetchval(
        """UPDATE card_signing_keys SET state = 'verifying', signed_until = now()
           WHERE state = 'active' RETURNING kid"""
    )
    await _insert_active()
    new = await _conn().fetchval("SELECT kid FROM card_signing_keys WHERE state = 'active'")
    return old, new


async def retire(kid: str) -> None:
    """A verifying key is withdrawn from ``/verify/keys``: tokens it signed no longer verify."""
    state = await _conn().fetchval("SELECT state FROM card_signing_keys WHERE kid = $1 FOR UPDATE", kid)
    if state is None:
        raise NotFound(NO_SUCH_KEY)
    if state == "active":
        raise Conflict(ACTIVE_CANNOT_RETIRE)
    await _conn().execute(
        """UPDATE card_signing_keys SET state = 'retired', retired_at = coalesce(retired_at, now())
           WHERE kid = $1""",
        kid,
    )


async def published() -> list[PublishedKey]:
    """The keys a verifier trusts: the active one and those still verifying, newest first."""
    rows = await _conn().fetch(
        """SELECT kid, public_key, state, not_before, signed_until FROM card_signing_keys
           WHERE state IN ('active', 'verifying') ORDER BY not_before DESC, kid"""
    )
    return [
        PublishedKey(r["kid"], bytes(r["public_key"]), r["state"], r["not_before"], r["signed_until"])
        for r in rows
    ]


async def every_key() -> list[PublishedKey]:
    """All keys, retired ones too (for the operator's listing)."""
    rows = await _conn().fetch(
        """SELECT kid, public_key, state, not_before, signed_until FROM card_signing_keys
           ORDER BY not_before DESC, kid"""
    )
    return [
        PublishedKey(r["kid"], bytes(r["public_key"]), r["state"], r["not_before"], r["signed_until"])
        for r in rows
    ]


def lookup(keys: list[PublishedKey]) -> Callable[[str], Ed25519PublicKey | None]:
    """``kid → public key`` over ``keys`` (what :mod:`renshe.talent.tokens` verifies with)."""
    table = {k.kid: Ed25519PublicKey.from_public_bytes(k.public_key) for k in keys}
    return table.get
