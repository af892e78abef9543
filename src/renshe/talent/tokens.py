"""The verification token in a card's QR code (``/verify/<token>``): compact, signed, offline.

A token is ``base64url(claims ‖ signature)`` without padding. The claims are packed, not JSON, so
that the whole URL fits a QR code of version 10 at level M (213 bytes) with room for the site's
address: about 100 bytes for a Chinese name, at most 130 (:data:`MAX_TOKEN_CHARS` characters).

Claims, version 1 (big-endian):

====  =======================================================================
1     format version (1)
1+n   key id: length, then ASCII (at most :data:`MAX_KID_LENGTH`)
3     issuing district code (``440703``), which also names the status list
2     year of the card number
4     sequence of the card number (its check character is recomputed)
1     tier, ASCII ``A``/``B``/``C``
2     first day of validity, days since 2000-01-01
2     last day of validity, days since 2000-01-01
4     index of the card in its district's status list
1+n   masked holder name: length, then UTF-8 (at most :data:`MAX_NAME_BYTES`)
====  =======================================================================

The Ed25519 signature (64 bytes) covers :data:`DOMAIN` followed by the claims, so a signature made
for anything else the same key might sign (a status list) can never pass as a card. The browser
(``static/js/verify.js``) reads the same layout; ``tests/talent/test_tokens.py`` pins it.
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from renshe.talent.card_numbers import CardNumber

VERSION = 1
DOMAIN = b"renshe.talent-card.v1\x00"
EPOCH = date(2000, 1, 1)
MAX_KID_LENGTH = 16
MAX_NAME_BYTES = 30
SIGNATURE_LENGTH = 64
TIERS = ("A", "B", "C")
_FIXED = struct.Struct(">3sHIcHHI")  # district (3-byte int), year, sequence, tier, from, until, index
MAX_TOKEN_CHARS = -(-(2 + MAX_KID_LENGTH + _FIXED.size + 1 + MAX_NAME_BYTES + SIGNATURE_LENGTH) * 4 // 3)


class TokenMalformed(ValueError):
    """Not a token at all: bad base64, truncated, unknown version, impossible values."""


class UnknownKey(ValueError):
    """Signed with a key id this verifier does not know (never published, or retired)."""


class SignatureInvalid(ValueError):
    """The signature does not match the claims: forged, altered, or signed with another key."""


@dataclass(frozen=True, slots=True)
class CardClaims:
    """What a card's token says, and all it says (no identity number, no photo, no employer)."""

    kid: str
    card: CardNumber
    tier: str
    valid_from: date
    valid_until: date
    status_index: int
    holder: str  # masked, as printed on the card (张*明)

    @property
    def card_no(self) -> str:
        return str(self.card)


def fit_name(masked: str) -> str:
    """The masked name cut to the token's room, whole characters only."""
    out = masked
    while len(out.encode()) > MAX_NAME_BYTES:
        out = out[:-1]
    return out


def _days(day: date) -> int:
    offset = (day - EPOCH).days
    if not 0 <= offset <= 0xFFFF:
        raise ValueError(f"date out of the token's range: {day}")
    return offset


def pack(claims: CardClaims) -> bytes:
    kid = claims.kid.encode("ascii")
    name = fit_name(claims.holder).encode()
    if not 1 <= len(kid) <= MAX_KID_LENGTH or claims.tier not in TIERS:
        raise ValueError("bad key id or tier")
    district = int(claims.card.district_code).to_bytes(3, "big")
    fixed = _FIXED.pack(
        district,
        claims.card.year,
        claims.card.sequence,
        claims.tier.encode(),
        _days(claims.valid_from),
        _days(claims.valid_until),
        claims.status_index,
    )
    return bytes([VERSION, len(kid)]) + kid + fixed + bytes([len(name)]) + name


def unpack(raw: bytes) -> CardClaims:
    try:
        if raw[0] != VERSION:
            raise TokenMalformed("unknown token version")
        kid_len = raw[1]
        if not 1 <= kid_len <= MAX_KID_LENGTH:
            raise TokenMalformed("bad key id")
        kid = raw[2 : 2 + kid_len].decode("ascii")
        at = 2 + kid_len
        district, year, sequence, tier, start, until, index = _FIXED.unpack_from(raw, at)
        at += _FIXED.size
        name_len = raw[at]
        name_bytes = raw[at + 1 : at + 1 + name_len]
        if len(name_bytes) != name_len or at + 1 + name_len != len(raw) or name_len > MAX_NAME_BYTES:
            raise TokenMalformed("bad holder name")
        holder = name_bytes.decode()
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise TokenMalformed("truncated or garbled token") from exc
    tier_text = tier.decode("ascii", "replace")
    if tier_text not in TIERS:
        raise TokenMalformed("unknown tier")
    code = int.from_bytes(district, "big")
    if not 100000 <= code <= 999999:
        raise TokenMalformed("bad district code")
    return CardClaims(
        kid=kid,
        card=CardNumber(str(code), year, sequence),
        tier=tier_text,
        valid_from=EPOCH + timedelta(days=start),
        valid_until=EPOCH + timedelta(days=until),
        status_index=index,
        holder=holder,
    )


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    if not text or len(text) > MAX_TOKEN_CHARS or not all(c.isalnum() or c in "-_" for c in text):
        raise TokenMalformed("not a token")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise TokenMalformed("not a token") from exc


def sign(claims: CardClaims, key: Ed25519PrivateKey) -> str:
    body = pack(claims)
    return _b64encode(body + key.sign(DOMAIN + body))


def read_unverified(token: str) -> tuple[CardClaims, bytes, bytes]:
    """Claims, their packed bytes and the signature, before any check of the signature."""
    raw = _b64decode(token)
    if len(raw) <= SIGNATURE_LENGTH:
        raise TokenMalformed("truncated token")
    body, signature = raw[:-SIGNATURE_LENGTH], raw[-SIGNATURE_LENGTH:]
    return unpack(body), body, signature


def verify(token: str, public_key: Callable[[str], Ed25519PublicKey | None]) -> CardClaims:
    """The token's claims if its signature holds under the published key it names; raises
    :class:`TokenMalformed`, :class:`UnknownKey` or :class:`SignatureInvalid` otherwise. Whether
    the card is still valid (dates, status list) is the caller's question."""
    claims, body, signature = read_unverified(token)
    key = public_key(claims.kid)
    if key is None:
        raise UnknownKey(claims.kid)
    try:
        key.verify(signature, DOMAIN + body)
    except InvalidSignature as exc:
        raise SignatureInvalid(claims.kid) from exc
    return claims
