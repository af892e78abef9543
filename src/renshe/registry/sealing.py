"""Where the registry's personal numbers are sealed (加密存储), and how.

Every protected value is stored as ciphertext bound to its place — table, column, tenant and row
(so a value copied to another row or district does not decrypt) — beside a blind index where it
must be found by value, and a masked display form so that lists never decrypt anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from renshe.protection.fields import Place, blind_index, decrypt, encrypt

PERSONS = "persons"
DOCUMENTS = "person_documents"
ENTERPRISES = "enterprises"

MOBILE_INDEX_KIND = "mobile"
BANK_ACCOUNT_INDEX_KIND = "bank_account"


@dataclass(frozen=True, slots=True)
class SealedColumn:
    """One ciphertext column: ``renshe keys rotate`` walks this list."""

    table: str
    column: str  # the ciphertext column; its Place uses the column name without ``_enc``

    @property
    def place_column(self) -> str:
        return self.column.removesuffix("_enc")


SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    SealedColumn(PERSONS, "mobile_enc"),
    SealedColumn(PERSONS, "bank_account_enc"),
    SealedColumn(DOCUMENTS, "number_enc"),
    SealedColumn(ENTERPRISES, "bank_account_enc"),
    # payee snapshots frozen on awards and copied onto payment lines (03-subsidies)
    SealedColumn("applications", "payee_account_enc"),
    SealedColumn("payment_lines", "payee_account_enc"),
)


def place(table: str, column: str, tenant_id: UUID, row_id: UUID) -> Place:
    return Place(table, column, str(tenant_id), str(row_id))


def seal(table: str, column: str, tenant_id: UUID, row_id: UUID, value: str) -> str:
    return encrypt(value, place(table, column, tenant_id, row_id))


def unseal(table: str, column: str, tenant_id: UUID, row_id: UUID, stored: str) -> str:
    return decrypt(stored, place(table, column, tenant_id, row_id))


def document_index(doc_type: str, identity_key: str) -> bytes:
    """The blind index a document is de-duplicated and looked up by (the same in every district,
    which is what lets the city-wide program gate compare documents without seeing them)."""
    return blind_index(str(doc_type), identity_key)


def mobile_index(mobile: str) -> bytes:
    return blind_index(MOBILE_INDEX_KIND, mobile)


def bank_account_index(digits: str) -> bytes:
    return blind_index(BANK_ACCOUNT_INDEX_KIND, digits)
