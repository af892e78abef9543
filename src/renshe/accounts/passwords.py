"""Passwords (口令): argon2id hashing and the password policy of 07-quality.

Policy (MLPS level 3 defaults): at least 10 characters from at least 3 of the 4 classes
(lower case, upper case, digits, other), not containing the username, not one of the last 5
passwords, changed every ``password_max_age_days`` (0 turns the age rule off).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from renshe import clock, text_rules

MIN_LENGTH = 10
MIN_CLASSES = 3
HISTORY_SIZE = 5
MAX_LENGTH = 256  # argon2 would hash a megabyte happily; nobody types that many


def standard_hasher() -> PasswordHasher:
    """argon2id with RFC 9106's "low memory" parameters (64 MiB, 3 passes, 4 lanes), named here
    rather than left to the library's defaults, which may change under us."""
    return PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4)


_hasher = standard_hasher()
# Verified for unknown usernames so that they cost the same time as known ones (no timing oracle).
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

# Counted by tests that prove every login path runs argon2 (enumeration by timing).
verify_calls = 0


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash``; with no hash, burn the same time and fail."""
    global verify_calls  # noqa: PLW0603 - a plain counter for tests
    verify_calls += 1
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def character_classes(password: str) -> int:
    classes = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    return sum(classes)


def policy_errors(password: str, username: str, history: Iterable[str] = ()) -> list[str]:
    """Every rule ``password`` breaks, as English msgids (translated where shown).

    ``history`` holds argon2 hashes of the current and earlier passwords.
    """
    errors: list[str] = []
    if len(password) < MIN_LENGTH:
        errors.append("The password must have at least 10 characters.")
    if len(password) > MAX_LENGTH:
        errors.append("The password must have at most 256 characters.")
    if character_classes(password) < MIN_CLASSES:
        errors.append(
            "The password must mix at least 3 of: lower-case letters, upper-case letters, "
            "digits, other characters."
        )
    if (invisible := text_rules.invisible_error(password)) is not None:
        errors.append(invisible)
    if username and username.casefold() in password.casefold():
        errors.append("The password must not contain the username.")
    if not errors and any(verify_password(h, password) for h in history):
        errors.append("The password must differ from the last 5 passwords.")
    return errors


def new_history(current_hash: str | None, history: list[str]) -> list[str]:
    """The history after a change: the outgoing hash first, at most 5 kept (with the new one
    being the sixth, "not one of the last 5" holds across the current and 4 older ones)."""
    kept = [current_hash, *history] if current_hash else list(history)
    return kept[: HISTORY_SIZE - 1] if HISTORY_SIZE > 1 else []


def is_expired(changed_at: datetime, max_age_days: int, now: datetime | None = None) -> bool:
    if max_age_days <= 0:
        return False
    now = now or clock.now()
    return now - changed_at > timedelta(days=max_age_days)


def temporary_password(username: str, length: int = 14) -> str:
    """A random password that satisfies the policy for ``username`` (shown once to the admin
    who reset it). A random draw can contain a short username, so that is checked too."""
    alphabet = string.ascii_letters + string.digits + "@#%+=-"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if character_classes(candidate) == 4 and username.casefold() not in candidate.casefold():
            return candidate
