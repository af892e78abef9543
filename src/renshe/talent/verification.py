"""核验 — the verdict on a card token, as the public page (and any front desk) gives it.

Pure: the caller passes the published keys and the district's last published status list. The
browser's ``static/js/verify.js`` gives the same verdicts from the same inputs, so the page says the
same with the network off (``tests/talent/test_verify_js.py`` runs both on one set of tokens).

Order of the checks: a token that cannot be read is *malformed*; one signed by a key nobody
published is *unknown_key*; a signature that does not hold is *bad_signature* — none of these
says anything about a card. Only a genuine token is then looked up: *revoked* (its bit is set in
its own district's list), *expired* (after its last day), *not_yet_valid*, else *valid*. Without a
trustworthy list of its district the verdict is *no_status*: genuine, revocation unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from renshe.talent import status_lists, tokens
from renshe.talent.tokens import CardClaims


class Verdict(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    NO_STATUS = "no_status"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class Finding:
    verdict: Verdict
    claims: CardClaims | None = None  # only for a genuine token


def check(
    token: str,
    public_key: Callable[[str], Ed25519PublicKey | None],
    lists: Mapping[str, dict[str, object]],
    today: date,
) -> Finding:
    """The verdict on ``token``; ``lists`` maps a district code to its published list."""
    try:
        claims = tokens.verify(token, public_key)
    except tokens.TokenMalformed:
        return Finding(Verdict.MALFORMED)
    except tokens.UnknownKey:
        return Finding(Verdict.UNKNOWN_KEY)
    except tokens.SignatureInvalid:
        return Finding(Verdict.BAD_SIGNATURE)
    district = claims.card.district_code
    document = lists.get(district)
    try:
        bits = status_lists.verify(document, public_key, district=district) if document else None
    except status_lists.StatusListInvalid:
        bits = None
    if bits is None:
        return Finding(Verdict.NO_STATUS, claims)
    if status_lists.is_set(bits, claims.status_index):
        return Finding(Verdict.REVOKED, claims)
    if today > claims.valid_until:
        return Finding(Verdict.EXPIRED, claims)
    if today < claims.valid_from:
        return Finding(Verdict.NOT_YET_VALID, claims)
    return Finding(Verdict.VALID, claims)
