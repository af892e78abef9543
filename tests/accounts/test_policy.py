"""Password policy, role rules and TOTP helpers (pure functions; no server)."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pyotp
from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.accounts import passwords, rules, totp
from renshe.accounts.principal import (
    BUSINESS_ROLES,
    DISTRICT_ROLES,
    MLPS_ADMIN_ROLES,
    Role,
)
from renshe.settings import load_settings

# ------------------------------------------------------------------ passwords


def test_policy_cases():
    assert passwords.policy_errors("Renshe@2026demo", "clerk_440703") == []
    assert "at least 10" in passwords.policy_errors("Ab1@xyz", "u1")[0]
    assert any("3 of" in e for e in passwords.policy_errors("abcdefghijkl", "u1"))
    assert any("3 of" in e for e in passwords.policy_errors("abcdefghij12", "u1"))  # 2 classes
    assert passwords.policy_errors("abcdefghij1A", "u1") == []  # 3 classes
    assert any("username" in e for e in passwords.policy_errors("xxClerk_440703!A", "clerk_440703"))


def test_the_last_five_passwords_are_refused_and_the_sixth_is_allowed():
    used = [f"Old-Password-{i}" for i in range(6)]
    current = passwords.hash_password(used[0])
    history: list[str] = []
    for pw in used[1:]:
        history = passwords.new_history(current, history)
        current = passwords.hash_password(pw)
    # current is used[5]; history holds used[4]..used[1]
    everything = [current, *history]
    for pw in used[1:]:
        assert "last 5" in passwords.policy_errors(pw, "someone", everything)[0], pw
    assert passwords.policy_errors(used[0], "someone", everything) == []


def test_password_age_is_judged_on_the_injectable_clock(clock):
    changed = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    clock.set(changed + timedelta(days=89))
    assert not passwords.is_expired(changed, 90)
    clock.advance(timedelta(days=2))
    assert passwords.is_expired(changed, 90)


def test_password_age():
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert passwords.is_expired(now - timedelta(days=91), 90, now)
    assert not passwords.is_expired(now - timedelta(days=89), 90, now)
    assert not passwords.is_expired(now - timedelta(days=9000), 0, now)  # 0 = off


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=0, max_size=30))
def test_any_accepted_password_meets_every_rule(candidate):
    if passwords.policy_errors(candidate, "zhang.san") == []:
        assert len(candidate) >= 10
        assert passwords.character_classes(candidate) >= 3
        assert "zhang.san" not in candidate.casefold()


def test_temporary_passwords_satisfy_the_policy():
    # A two-letter username turns up in a random 14-character draw often enough that a
    # generator ignoring it fails this within a few hundred tries.
    for _ in range(2000):
        assert passwords.policy_errors(passwords.temporary_password("ab"), "ab") == []


def test_a_password_is_stored_as_argon2id_at_rfc_9106_cost():
    """In a process of its own: the suite signs in with a cheaper hasher (tests/conftest.py)."""
    script = "from renshe.accounts import passwords; print(passwords.hash_password('Pw-12345678'))"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_verify_rejects_and_counts():
    h = passwords.hash_password("Right-Password-1")
    before = passwords.verify_calls
    assert passwords.verify_password(h, "Right-Password-1")
    assert not passwords.verify_password(h, "Wrong-Password-1")
    assert not passwords.verify_password(None, "Right-Password-1")
    assert passwords.verify_calls - before == 3


# ------------------------------------------------------------------ roles


def test_role_rules():
    assert rules.role_errors(frozenset({Role.SYSADMIN, Role.AUDITOR}), "city")
    assert rules.role_errors(frozenset({Role.AUDITOR, Role.CLERK}), "city")
    assert rules.role_errors(frozenset({Role.CLERK}), "city")
    assert rules.role_errors(frozenset({Role.CITY_ANALYST}), "district")
    assert rules.role_errors(frozenset({Role.SECADMIN}), "district")
    assert rules.role_errors(frozenset(), "district")
    assert rules.role_errors(frozenset({Role.CLERK, Role.REVIEWER}), "district") == []
    assert rules.role_errors(frozenset({Role.CITY_ADMIN, Role.CITY_ANALYST}), "city") == []
    assert rules.role_errors(frozenset({Role.AUDITOR}), "city") == []


@given(st.sets(st.sampled_from(list(Role)), min_size=1), st.sampled_from(["city", "district"]))
def test_separation_of_duties_always_holds(roles, kind):
    roles = frozenset(roles)
    if not rules.role_errors(roles, kind):
        mlps = roles & MLPS_ADMIN_ROLES
        assert len(mlps) <= 1
        assert not (mlps and roles & BUSINESS_ROLES)
        assert not (roles & DISTRICT_ROLES) or kind == "district"
        assert not mlps or kind == "city"


def test_usernames():
    assert rules.username_error("clerk_440703") is None
    for bad in ("ab", "a b c", "王小明", "x" * 65, "name;drop"):
        assert rules.username_error(bad), bad


# ------------------------------------------------------------------ TOTP


def test_totp_secret_is_encrypted_and_bound_to_the_user():
    s = load_settings(
        {"RENSHE_SECRET_KEY": "k" * 40, "RENSHE_DATA_KEY": "d" * 40, "RENSHE_DATA_DIR": "/tmp/renshe-unit"}
    )
    secret = totp.new_secret()
    user = uuid4()
    stored = totp.encrypt_secret(s, secret, user)
    assert secret not in stored
    assert totp.decrypt_secret(s, stored, user) == secret
    assert totp.decrypt_secret(s, stored, uuid4()) is None  # copied onto another user
    other = load_settings(
        {"RENSHE_SECRET_KEY": "k" * 40, "RENSHE_DATA_KEY": "e" * 40, "RENSHE_DATA_DIR": "/tmp/renshe-unit"}
    )
    assert totp.decrypt_secret(other, stored, user) is None  # another data key
    assert totp.decrypt_secret(s, stored[:-4] + "AAAA", user) is None  # tampered


def test_totp_drift_window_is_one_step():
    secret = pyotp.random_base32()
    t = pyotp.TOTP(secret)
    now = time.time()
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, t.at(now, counter_offset=offset), now) is not None
    for offset in (-3, 3):
        code = t.at(now, counter_offset=offset)
        if code not in {t.at(now, counter_offset=o) for o in (-1, 0, 1)}:
            assert totp.matching_step(secret, code, now) is None
    assert totp.matching_step(secret, "12345", now) is None
    assert totp.matching_step(secret, "abcdef", now) is None
