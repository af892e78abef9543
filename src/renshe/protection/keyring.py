"""Data keys and their ids.

``RENSHE_DATA_KEY`` is the active key: every new ciphertext uses it. Keys retired by a rotation
stay readable through ``RENSHE_DATA_KEYS_RETIRED`` (comma-separated) until ``renshe keys rotate``
has re-encrypted every value. A key id is derived from the key itself (not secret, stable), and
is stored beside each ciphertext so the reader knows which key to use.

Blind indexes use a separate key derived from ``RENSHE_INDEX_KEY`` (falling back to the secret
key outside production): rotating the data key must not change the index, or look-ups would break.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from renshe.settings import Settings, get_settings


def _derive(material: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material.encode())


def key_id(material: str) -> str:
    """Eight hex characters naming a key (a hash of a hash: reveals nothing usable)."""
    return hashlib.sha256(b"renshe key id\x00" + hashlib.sha256(material.encode()).digest()).hexdigest()[:8]


@dataclass(frozen=True, slots=True)
class Keyring:
    active_id: str
    keys: dict[str, bytes]
    index_key: bytes

    def key(self, kid: str) -> bytes | None:
        return self.keys.get(kid)


def build_keyring(settings: Settings) -> Keyring:
    materials = [settings.data_key, *settings.data_keys_retired]
    keys = {key_id(m): _derive(m, b"renshe field encryption v1") for m in materials}
    index_material = settings.index_key or settings.secret_key
    return Keyring(
        active_id=key_id(settings.data_key),
        keys=keys,
        index_key=_derive(index_material, b"renshe blind index v1"),
    )


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    return build_keyring(get_settings())
