"""Signed revocation lists for offline verifiers (issue 10 §4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from renshe.talent import status_lists, tokens
from renshe.talent.status_lists import StatusListInvalid

KEY = Ed25519PrivateKey.generate()
AT = datetime(2026, 12, 6, 3, 40, tzinfo=UTC)


def published(kid: str):
    return {"k2026a": KEY.public_key()}.get(kid)


def test_revoked_cards_and_only_they_are_set() -> None:
    doc = status_lists.build(
        "440703", [0, 7, 122, 131_071], highest_index=200, kid="k2026a", key=KEY, at=AT
    ).to_json()
    bits = status_lists.verify(doc, published, district="440703")
    assert [i for i in range(131_072) if status_lists.is_set(bits, i)] == [0, 7, 122, 131_071]
    assert doc["size"] == status_lists.MIN_BITS


def test_the_list_grows_past_its_minimum_and_stays_small_compressed() -> None:
    doc = status_lists.build(
        "440703", [200_000], highest_index=200_000, kid="k2026a", key=KEY, at=AT
    ).to_json()
    assert doc["size"] == 2 * status_lists.MIN_BITS
    assert len(str(doc["encoded_list"])) < 1_000
    assert status_lists.is_set(status_lists.verify(doc, published, district="440703"), 200_000)


def test_same_bits_give_the_same_bytes() -> None:
    one = status_lists.build("440703", [5], highest_index=10, kid="k2026a", key=KEY, at=AT).to_json()
    two = status_lists.build("440703", [5], highest_index=10, kid="k2026a", key=KEY, at=AT).to_json()
    assert one == two


@pytest.mark.parametrize(
    "change",
    [{"district": "440704"}, {"issued_at": "2027-01-01T00:00:00Z"}, {"size": 262_144}, {"kid": "k1999z"}],
)
def test_a_list_changed_after_signing_is_refused(change: dict[str, object]) -> None:
    doc = status_lists.build("440703", [5], highest_index=10, kid="k2026a", key=KEY, at=AT).to_json()
    with pytest.raises(StatusListInvalid):
        status_lists.verify({**doc, **change}, published, district="440703")


def test_a_list_with_one_bit_cleared_is_refused() -> None:
    revoked = status_lists.build("440703", [5], highest_index=10, kid="k2026a", key=KEY, at=AT).to_json()
    cleared = status_lists.build("440703", [], highest_index=10, kid="k2026a", key=KEY, at=AT).to_json()
    with pytest.raises(StatusListInvalid):
        status_lists.verify(
            {**revoked, "encoded_list": cleared["encoded_list"]}, published, district="440703"
        )


def test_a_card_signature_never_passes_as_a_list_signature() -> None:
    doc = status_lists.build("440703", [], highest_index=10, kid="k2026a", key=KEY, at=AT)
    # the same key signing the list's own bytes without the list's domain (as a token would)
    foreign = KEY.sign(tokens.DOMAIN + status_lists.signed_bytes(doc)[len(status_lists.DOMAIN) :])
    import base64

    forged = {**doc.to_json(), "signature": base64.urlsafe_b64encode(foreign).rstrip(b"=").decode()}
    with pytest.raises(StatusListInvalid):
        status_lists.verify(forged, published, district="440703")


def test_another_districts_list_says_nothing_about_this_districts_cards() -> None:
    other = status_lists.build("440704", [5], highest_index=10, kid="k2026a", key=KEY, at=AT).to_json()
    with pytest.raises(StatusListInvalid, match="440704"):
        status_lists.verify(other, published, district="440703")
