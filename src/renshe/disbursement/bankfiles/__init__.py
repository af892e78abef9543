"""Bank payment files (代发文件): one canonical record rendered into per-bank layouts.

Use ``render(layout_name, payment_file, lines)`` for the bytes or ``export(...)`` for a ``BankFile``
with its name, media type and SHA-256. Every error is a ``renshe.errors.DomainError``:
``EnvelopeMismatch`` (409), ``InvalidPaymentLine`` / ``UnknownLayout`` / ``UnsupportedEncoding`` (422).
"""

from renshe.disbursement.bankfiles.layouts import (
    LAYOUTS,
    BankFile,
    Layout,
    UnknownLayout,
    UnsupportedEncoding,
    export,
    get_layout,
    render,
    sha256_of,
)
from renshe.disbursement.bankfiles.record import (
    EnvelopeMismatch,
    InvalidPaymentLine,
    PaymentFile,
    PaymentLine,
    check_envelope,
    envelope_of,
    yuan,
)

__all__ = [
    "LAYOUTS",
    "BankFile",
    "EnvelopeMismatch",
    "InvalidPaymentLine",
    "Layout",
    "PaymentFile",
    "PaymentLine",
    "UnknownLayout",
    "UnsupportedEncoding",
    "check_envelope",
    "envelope_of",
    "export",
    "get_layout",
    "render",
    "sha256_of",
    "yuan",
]
