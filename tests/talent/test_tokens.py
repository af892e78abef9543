"""The QR token: what a forger, a truncating scanner or a retired key gets (issue 10 §4, §11)."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from renshe.talent import tokens
from renshe.talent.card_numbers import CardNumber
from renshe.talent.tokens import CardClaims, SignatureInvalid, TokenMalformed, UnknownKey

KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()
QR_V10_M_BYTES = 213  # byte-mode capacity of a version-10 QR code at error correction level M


def claims(**changes: object) -> CardClaims:
    base = {
        "kid": "k2026a",
        "card": CardNumber("440703", 2026, 123),
        "tier": "B",
        "valid_from": date(2026, 12, 6),
        "valid_until": date(2029, 12, 5),
        "status_index": 122,
        "holder": "欧阳*明",
    }
    return CardClaims(**{**base, **changes})  # type: ignore[arg-type]


def published(kid: str):
    return {"k2026a": KEY.public_key()}.get(kid)


def test_a_signed_token_verifies_to_exactly_its_claims() -> None:
    token = tokens.sign(claims(), KEY)
    assert tokens.verify(token, published) == claims()
    assert tokens.verify(token, published).card_no == "QD44070320260001230"


def test_the_longest_token_fits_a_version_10_qr_with_the_site_address() -> None:
    longest = claims(
        kid="k" * tokens.MAX_KID_LENGTH, holder="C*** T** M** W*** K**** L** X**", status_index=2**32 - 1
    )
    token = tokens.sign(longest, KEY)
    assert len(token) <= tokens.MAX_TOKEN_CHARS
    url = "https://rsj.jiangmen.gov.cn/verify/" + token
    assert len(url.encode()) <= QR_V10_M_BYTES
    assert tokens.verify(token, {"k" * 16: KEY.public_key()}.get).holder == tokens.fit_name(longest.holder)


def test_a_changed_byte_anywhere_is_a_forgery() -> None:
    raw = bytearray(base64.urlsafe_b64decode(tokens.sign(claims(), KEY) + "=="))
    refused = 0
    for i in range(len(raw)):
        forged = bytearray(raw)
        forged[i] ^= 0x01
        text = base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode()
        with pytest.raises((SignatureInvalid, TokenMalformed, UnknownKey)):
            tokens.verify(text, published)
        refused += 1
    assert refused == len(raw)


def test_a_token_re_signed_with_another_key_under_the_same_key_id_is_refused() -> None:
    with pytest.raises(SignatureInvalid):
        tokens.verify(tokens.sign(claims(tier="A"), OTHER), published)


def test_a_key_id_nobody_published_is_unknown() -> None:
    with pytest.raises(UnknownKey):
        tokens.verify(tokens.sign(claims(kid="k1999z"), KEY), published)


@pytest.mark.parametrize("cut", [1, 10, 64, 80])
def test_a_truncated_token_is_malformed_or_forged(cut: int) -> None:
    token = tokens.sign(claims(), KEY)
    with pytest.raises((TokenMalformed, SignatureInvalid)):
        tokens.verify(token[:-cut], published)


@pytest.mark.parametrize("text", ["", "%%%", "a" * 1000, "AQ", "////"])
def test_garbage_is_malformed(text: str) -> None:
    with pytest.raises(TokenMalformed):
        tokens.verify(text, published)
