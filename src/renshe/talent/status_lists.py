"""Revocation that works offline: one signed bit list per district (吊销状态列表).

In the spirit of the W3C Bitstring Status List: bit *i* is 1 when the card with status index *i*
of that district is revoked (revoked, or reported lost). The list is at least
:data:`MIN_BITS` long (16 KiB, the W3C minimum) so that fetching it says nothing about which card
is being checked; it is gzip-compressed (no timestamp in the gzip header, so the same bits give the
same bytes) and base64url-encoded. Bit 0 is the most significant bit of the first byte, as in the
W3C format.

The published document (``/verify/status/<district>``)::

    {"district": "440703", "kid": "k2026a", "issued_at": "2026-12-06T03:40:00Z",
     "size": 131072, "encoded_list": "H4sI…", "signature": "…"}

The Ed25519 signature covers :data:`DOMAIN` and the other fields joined by newlines
(:func:`signed_bytes`), so a card token's signature can never pass as a list's, nor one district's
list as another's. Expiry needs no bit: the token carries its validity dates.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

DOMAIN = b"renshe.status-list.v1\x00"
MIN_BITS = 131_072
MAX_BITS = 8 * 1024 * 1024 * 8  # 8 MiB of bits: a district issues far fewer cards


class StatusListInvalid(ValueError):
    """A status list whose signature, size or encoding does not hold."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def list_size(highest_index: int) -> int:
    """Bits needed for indexes 0..highest_index: the minimum, doubled until it fits."""
    size = MIN_BITS
    while size <= highest_index:
        size *= 2
    return size


def encode_bits(revoked: Iterable[int], size: int) -> str:
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} outside a list of {size}")
        bits[index // 8] |= 0x80 >> (index % 8)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as fh:
        fh.write(bytes(bits))
    return _b64(buffer.getvalue())


def decode_bits(encoded: str, size: int) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(_unb64(encoded))) as fh:
            bits = fh.read(size // 8 + 1)
    except (OSError, EOFError, ValueError) as exc:
        raise StatusListInvalid("bad encoded list") from exc
    if len(bits) != size // 8:
        raise StatusListInvalid("list length does not match its size")
    return bits


def is_set(bits: bytes, index: int) -> bool:
    return index < len(bits) * 8 and bool(bits[index // 8] & (0x80 >> (index % 8)))


@dataclass(frozen=True, slots=True)
class StatusList:
    district: str
    kid: str
    issued_at: str  # ISO 8601, UTC, seconds
    size: int
    encoded_list: str
    signature: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "district": self.district,
            "kid": self.kid,
            "issued_at": self.issued_at,
            "size": self.size,
            "encoded_list": self.encoded_list,
            "signature": self.signature,
        }


def signed_bytes(status: StatusList) -> bytes:
    fields = (status.district, status.kid, status.issued_at, str(status.size), status.encoded_list)
    return DOMAIN + "\n".join(fields).encode("ascii")


def build(
    district: str,
    revoked: Iterable[int],
    *,
    highest_index: int,
    kid: str,
    key: Ed25519PrivateKey,
    at: datetime,
) -> StatusList:
    """The signed list of a district: ``revoked`` are the set bits, ``highest_index`` the last index
    handed out (the list covers every issued card, revoked or not)."""
    indexes = list(revoked)
    size = list_size(max([highest_index, *indexes], default=0))
    unsigned = StatusList(
        district=district,
        kid=kid,
        issued_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        size=size,
        encoded_list=encode_bits(indexes, size),
    )
    signature = _b64(key.sign(signed_bytes(unsigned)))
    return dataclasses.replace(unsigned, signature=signature)


def verify(
    document: dict[str, object], public_key: Callable[[str], Ed25519PublicKey | None], *, district: str
) -> bytes:
    """The bits of ``district``'s list if the document is that district's, well formed, and its
    signature holds; else :class:`StatusListInvalid` (another district's list, however well
    signed, says nothing about this district's cards)."""
    try:
        status = StatusList(
            district=str(document["district"]),
            kid=str(document["kid"]),
            issued_at=str(document["issued_at"]),
            size=int(str(document["size"])),
            encoded_list=str(document["encoded_list"]),
            signature=str(document["signature"]),
        )
    except (KeyError, ValueError) as exc:
        raise StatusListInvalid("incomplete status list") from exc
    if status.district != district:
        raise StatusListInvalid(f"the list of {status.district}, not of {district}")
    if status.size % 8 or not MIN_BITS <= status.size <= MAX_BITS:
        raise StatusListInvalid("bad list size")
    key = public_key(status.kid)
    if key is None:
        raise StatusListInvalid(f"unknown key {status.kid}")
    try:
        key.verify(_unb64(status.signature), signed_bytes(status))
    except (InvalidSignature, ValueError) as exc:
        raise StatusListInvalid("bad signature") from exc
    return decode_bits(status.encoded_list, status.size)
