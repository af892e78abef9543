"""Field encryption: authenticated, bound to its place, rotatable; blind indexes stable."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from renshe.protection.fields import (
    Place,
    UndecryptableValue,
    blind_index,
    decrypt,
    encrypt,
    key_of,
    needs_rotation,
)
from renshe.protection.keyring import build_keyring
from renshe.settings import load_settings

HERE = Place("persons", "document_number", "t1", "r1")


def _ring(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    base = {"RENSHE_DATA_DIR": str(tmp_path), "RENSHE_DATA_KEY": "k" * 40, "RENSHE_INDEX_KEY": "i" * 40}
    return build_keyring(load_settings({**base, **env}))


def test_round_trip_and_no_clear_text(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    stored = encrypt("440703199003070013", HERE, ring)
    assert "440703" not in stored and "0013" not in stored
    assert decrypt(stored, HERE, ring) == "440703199003070013"
    assert encrypt("440703199003070013", HERE, ring) != stored  # fresh nonce every time


def test_a_value_moved_to_another_row_or_tenant_does_not_decrypt(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    stored = encrypt("13800138000", HERE, ring)
    for elsewhere in (
        Place("persons", "document_number", "t2", "r1"),
        Place("persons", "document_number", "t1", "r2"),
        Place("persons", "mobile", "t1", "r1"),
    ):
        with pytest.raises(UndecryptableValue):
            decrypt(stored, elsewhere, ring)


def test_tampering_is_detected(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    kid, nonce, sealed = encrypt("6222021234567890128", HERE, ring).split(":")
    flipped = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(UndecryptableValue):
        decrypt(f"{kid}:{nonce}:{flipped}", HERE, ring)


def test_rotation_keeps_old_values_readable_and_marks_them_stale(tmp_path: Path) -> None:
    old_ring = _ring(tmp_path)
    stored = encrypt("H12345678", HERE, old_ring)
    new_ring = _ring(tmp_path, RENSHE_DATA_KEY="n" * 40, RENSHE_DATA_KEYS_RETIRED="k" * 40)
    assert needs_rotation(stored, new_ring) and not needs_rotation(stored, old_ring)
    assert decrypt(stored, HERE, new_ring) == "H12345678"
    fresh = encrypt("H12345678", HERE, new_ring)
    assert key_of(fresh) == new_ring.active_id != key_of(stored)
    # once the old key is dropped, old values fail loudly instead of silently
    dropped = _ring(tmp_path, RENSHE_DATA_KEY="n" * 40)
    with pytest.raises(UndecryptableValue, match="not configured"):
        decrypt(stored, HERE, dropped)


def test_blind_index_is_stable_across_data_key_rotation_and_separates_kinds(tmp_path: Path) -> None:
    a = _ring(tmp_path)
    b = _ring(tmp_path, RENSHE_DATA_KEY="n" * 40, RENSHE_DATA_KEYS_RETIRED="k" * 40)
    assert blind_index("prc_id", "440703199003070013", a) == blind_index("prc_id", "440703199003070013", b)
    assert blind_index("prc_id", "440703199003070013", a) != blind_index("hkid", "440703199003070013", a)
    other = _ring(tmp_path, RENSHE_INDEX_KEY="j" * 40)
    assert blind_index("prc_id", "440703199003070013", a) != blind_index(
        "prc_id", "440703199003070013", other
    )


def test_values_sealed_before_still_open_and_garbage_never_escapes_as_another_error(tmp_path: Path) -> None:
    ring = _ring(tmp_path)
    # Written the way stored values have always been written: base64 module, padding stripped.
    nonce = os.urandom(12)
    sealed = AESGCM(ring.keys[ring.active_id]).encrypt(nonce, b"6222021234567890128", HERE.aad())

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    assert decrypt(f"{ring.active_id}:{b64(nonce)}:{b64(sealed)}", HERE, ring) == "6222021234567890128"
    good = encrypt("6222021234567890128", HERE, ring)
    kid, n, s = good.split(":")
    garbled = (f"{kid}:{n}", f"{kid}:{n}:{s}:x", f"{kid}:{n}:{s[:-5]}", f"{kid}:账号:{s}", f"{kid}:{n}:=")
    for garbage in garbled:
        with pytest.raises(UndecryptableValue):
            decrypt(garbage, HERE, ring)
