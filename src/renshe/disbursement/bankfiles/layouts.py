"""The registry of bank-file layouts by name, and ``render``: the one way to produce a bank file.

The names are the ``[payer] file_layout`` values of ``tenants/*.toml`` (``generic_csv``, ``xlsx``,
``icbc``). ``render`` checks the envelope first (``record.check_envelope``), then hands the lines
in their fixed order to the layout's writer. Identical input gives identical bytes: no clock is
read, order is fixed, XLSX metadata derives from the business date.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from renshe.disbursement.bankfiles import generic_csv, icbc, xlsx
from renshe.disbursement.bankfiles.cells import check_encodable
from renshe.disbursement.bankfiles.record import PaymentFile, PaymentLine, check_envelope
from renshe.errors import DomainError
from renshe.i18n import lazy

Writer = Callable[[PaymentFile, list[PaymentLine], str], bytes]


class UnknownLayout(DomainError):
    status_code = 422

    def __init__(self, name: str) -> None:
        super().__init__(lazy("There is no bank-file layout called %(layout)s."), layout=name)


class UnsupportedEncoding(DomainError):
    status_code = 422

    def __init__(self, layout: str, encoding: str) -> None:
        super().__init__(
            lazy("The bank-file layout %(layout)s cannot be written in the %(encoding)s encoding."),
            layout=layout,
            encoding=encoding,
        )


@dataclass(frozen=True, slots=True)
class Layout:
    """One bank-file layout. ``encodings`` lists the text encodings allowed, the default first
    (empty for XLSX, whose text encoding is fixed by the format)."""

    name: str
    label: str  # English msgid, translated where shown
    extension: str
    media_type: str
    encodings: tuple[str, ...]
    writer: Writer

    def resolve_encoding(self, encoding: str | None) -> str:
        """The canonical codec name to write with (``""`` for XLSX)."""
        if encoding is None:
            return self.encodings[0] if self.encodings else ""
        try:
            canonical = codecs.lookup(encoding).name
        except LookupError:
            raise UnsupportedEncoding(self.name, encoding) from None
        canonical = "utf-8" if canonical == "utf-8-sig" else canonical
        if canonical not in self.encodings:
            raise UnsupportedEncoding(self.name, encoding)
        return canonical

    def file_name(self, payment_file: PaymentFile) -> str:
        """``<batch reference>-<layout>.<extension>``: stable, ASCII, safe in a header."""
        return f"{payment_file.batch_reference}-{self.name}.{self.extension}"


CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        Layout(
            "generic_csv",
            lazy("Generic CSV"),
            "csv",
            CSV_MEDIA_TYPE,
            ("utf-8", "gbk", "gb18030"),
            generic_csv.write,
        ),
        Layout("xlsx", lazy("Excel workbook (XLSX)"), "xlsx", XLSX_MEDIA_TYPE, (), xlsx.write),
        Layout(
            "icbc",
            lazy("Commercial bank batch-payment template (CSV, GBK)"),
            "csv",
            CSV_MEDIA_TYPE,
            ("gbk", "gb18030"),
            icbc.write,
        ),
    )
}


def get_layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise UnknownLayout(name) from None


@dataclass(frozen=True, slots=True)
class BankFile:
    """A rendered bank file, ready to store, record and download."""

    layout: str
    file_name: str
    media_type: str
    encoding: str
    content: bytes
    sha256: str


def sha256_of(content: bytes) -> str:
    """The lowercase hex SHA-256 recorded with an exported batch and shown on its page."""
    return hashlib.sha256(content).hexdigest()


def render(
    layout: str | Layout,
    payment_file: PaymentFile,
    lines: Iterable[PaymentLine],
    encoding: str | None = None,
) -> bytes:
    """The bank file's bytes, or a ``DomainError`` (envelope, invalid line, encoding) and nothing.

    ``encoding`` overrides the layout's default (``generic_csv``: ``utf-8`` with BOM or ``gbk``).
    """
    chosen = layout if isinstance(layout, Layout) else get_layout(layout)
    codec = chosen.resolve_encoding(encoding)
    ordered = check_envelope(payment_file, lines)
    if codec:
        check_encodable(payment_file, ordered, codec)
    return chosen.writer(payment_file, ordered, codec)


def export(
    layout: str | Layout,
    payment_file: PaymentFile,
    lines: Iterable[PaymentLine],
    encoding: str | None = None,
) -> BankFile:
    """``render`` plus what the batch records and the download needs (name, type, SHA-256)."""
    chosen = layout if isinstance(layout, Layout) else get_layout(layout)
    codec = chosen.resolve_encoding(encoding)
    content = render(chosen, payment_file, lines, codec or None)
    return BankFile(
        layout=chosen.name,
        file_name=chosen.file_name(payment_file),
        media_type=f"{chosen.media_type}; charset={codec}" if codec else chosen.media_type,
        encoding=codec,
        content=content,
        sha256=sha256_of(content),
    )
