"""A person's identity documents (证件): storing them sealed, de-duplication, exact look-up.

The unique constraint ``(tenant_id, doc_type, number_index)`` is the guard against a second
record for the same document: an insert that hits it does nothing (``ON CONFLICT DO NOTHING``,
which also waits for a concurrent registration of the same number to commit or roll back), and
the existing person is named. It is per district: another district's person with the same
document is not visible here and is not a conflict.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import date
from uuid import UUID

from renshe.errors import NotFound
from renshe.i18n import lazy
from renshe.registry import identifiers as ids
from renshe.registry import repository as repo
from renshe.registry.identifiers import ValidatedDocument
from renshe.registry.masking import mask_document
from renshe.registry.model import DuplicateRecord, Problems
from renshe.registry.sealing import DOCUMENTS, document_index, seal, unseal

DOCUMENT_REGISTERED = lazy(
    "A person with this document is already registered in this district. Open the existing record."
)
NO_SUCH_DOCUMENT = lazy("No such document.")
NOT_FOUND_BY_DOCUMENT = lazy("No person with this document is registered here.")


async def existing_holder(tenant_id: UUID, doc: ValidatedDocument) -> UUID | None:
    holder: UUID | None = await repo.conn().fetchval(
        """SELECT person_id FROM person_documents
           WHERE tenant_id = $1 AND doc_type = $2 AND number_index = $3""",
        tenant_id,
        doc.type.value,
        document_index(doc.type, doc.identity_key),
    )
    return holder


async def insert_documents(
    tenant_id: UUID, person_id: UUID, documents: Sequence[ValidatedDocument], start_position: int = 0
) -> None:
    """Store each document sealed; ``DuplicateRecord`` naming the holder when one is already
    registered in this district."""
    conn = repo.conn()
    for position, doc in enumerate(documents, start=start_position):
        row_id = uuid.uuid4()
        inserted = await conn.fetchval(
            """INSERT INTO person_documents (tenant_id, id, person_id, doc_type, number_enc,
                                             number_index, number_masked, renewal_count, position)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT ON CONSTRAINT person_documents_unique_number DO NOTHING
               RETURNING id""",
            tenant_id, row_id, person_id, doc.type.value,
            seal(DOCUMENTS, "number", tenant_id, row_id, doc.number),
            document_index(doc.type, doc.identity_key),
            mask_document(doc.type, doc.number), doc.renewal_count, position,
        )  # fmt: skip
        if inserted is None:
            holder = await existing_holder(tenant_id, doc)
            if holder is None:  # pragma: no cover - the conflicting row vanished meanwhile
                raise DuplicateRecord(person_id, DOCUMENT_REGISTERED)
            raise DuplicateRecord(holder, DOCUMENT_REGISTERED)


async def clear_documents(tenant_id: UUID, person_id: UUID) -> list[tuple[UUID, str, str]]:
    """(id, type, clear number) of a person's documents, for checks and for unmasking."""
    rows = await repo.conn().fetch(
        """SELECT id, doc_type, number_enc FROM person_documents
           WHERE tenant_id = $1 AND person_id = $2 ORDER BY position, created_at""",
        tenant_id,
        person_id,
    )
    return [(r["id"], r["doc_type"], unseal(DOCUMENTS, "number", tenant_id, r["id"], r["number_enc"]))
            for r in rows]  # fmt: skip


async def validated_documents(tenant_id: UUID, person_id: UUID, today: date) -> list[ValidatedDocument]:
    """A stored person's documents checked again (what they imply about residency, birth, sex)."""
    found = []
    for _, doc_type, number in await clear_documents(tenant_id, person_id):
        try:
            found.append(ids.validate_document(ids.DocumentType(doc_type), number, today))
        except ids.IdentifierInvalid:
            continue  # stored before a rule changed: it still identifies the person
    return found


async def holders_of(doc: ValidatedDocument, tenant_ids: Collection[UUID] | None = None) -> list[UUID]:
    """Persons visible here holding this document (one per district at most), oldest first."""
    rows = await repo.conn().fetch(
        """SELECT d.person_id FROM person_documents d
           WHERE d.doc_type = $1 AND d.number_index = $2
             AND ($3::uuid[] IS NULL OR d.tenant_id = ANY($3::uuid[]))
           ORDER BY d.created_at, d.tenant_id""",
        doc.type.value,
        document_index(doc.type, doc.identity_key),
        None if tenant_ids is None else list(tenant_ids),
    )
    return [r["person_id"] for r in rows]


def parse_lookup(doc_type: str, number: str) -> ValidatedDocument:
    """The document a look-up asks for; ``FieldErrors`` naming ``type`` or ``number`` if invalid."""
    problems = Problems()
    try:
        kind = ids.parse_document_type(doc_type or "")
    except ids.IdentifierInvalid as exc:
        problems.error("type", exc.message)
        problems.raise_if_any(True)
        raise
    try:
        return ids.validate_document(kind, number or "")
    except ids.IdentifierInvalid as exc:
        problems.error("number", exc.message, exc.params)
        problems.raise_if_any(True)
        raise


async def delete_document(tenant_id: UUID, person_id: UUID, document_id: UUID) -> str:
    """Remove one document of a person; returns its masked number (for the audit record)."""
    masked: str | None = await repo.conn().fetchval(
        """DELETE FROM person_documents WHERE tenant_id = $1 AND person_id = $2 AND id = $3
           RETURNING number_masked""",
        tenant_id,
        person_id,
        document_id,
    )
    if masked is None:
        raise NotFound(NO_SUCH_DOCUMENT)
    return masked
