"""全市一次性限制 — "has this person already received program P anywhere in the city?"

Some subsidies may be received once per person in the whole city. Districts cannot see each
other's people, so the question goes to one narrow database gate,
``document_received_program(index, program)`` (SECURITY DEFINER, owned by the NOLOGIN role
``renshe_program_gate``), which answers yes or no and nothing else: not where, not when, not
who. Receipts are keyed by the blind index of each of the person's documents, which is the same
in every district, so a person registered with an HKID here and with a home-return permit there
is still found through whichever document both districts hold.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from renshe.registry import repository as repo
from renshe.registry.identifiers import DocumentType, ValidatedDocument
from renshe.registry.sealing import document_index


async def _indexes_of(tenant_id: UUID, person_id: UUID) -> list[bytes]:
    rows = await repo.conn().fetch(
        "SELECT number_index FROM person_documents WHERE tenant_id = $1 AND person_id = $2",
        tenant_id,
        person_id,
    )
    return [bytes(r["number_index"]) for r in rows]


async def document_received_program(document: ValidatedDocument, program_code: str) -> bool:
    """Yes/no for one document (any district)."""
    index = document_index(DocumentType(document.type), document.identity_key)
    answer: bool = await repo.conn().fetchval("SELECT document_received_program($1, $2)", index, program_code)
    return bool(answer)


async def has_received_program(tenant_id: UUID, person_id: UUID, program_code: str) -> bool:
    """Whether any document of this district's person has received ``program_code`` anywhere in
    the city (``NotFound`` if the person is not this district's)."""
    await repo.load_person(person_id, [tenant_id])
    for index in await _indexes_of(tenant_id, person_id):
        if await repo.conn().fetchval("SELECT document_received_program($1, $2)", index, program_code):
            return True
    return False


async def record_program_receipt(
    tenant_id: UUID, person_id: UUID, program_code: str, award_ref: str, received_on: date
) -> int:
    """Note that this person received ``program_code`` (award ``award_ref``): one row per
    document. Idempotent: recording the same award again adds nothing. Returns rows added."""
    await repo.load_person(person_id, [tenant_id])
    added = 0
    for index in await _indexes_of(tenant_id, person_id):
        status = await repo.conn().execute(
            """INSERT INTO program_receipts (tenant_id, program_code, document_index, person_id,
                                             award_ref, received_on)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT ON CONSTRAINT program_receipts_once DO NOTHING""",
            tenant_id, program_code, index, person_id, award_ref, received_on,
        )  # fmt: skip
        added += int(status.rsplit(" ", 1)[-1])
    return added


async def withdraw_program_receipt(tenant_id: UUID, program_code: str, award_ref: str) -> int:
    """Remove the receipts of an award whose payment was reversed. Returns rows removed."""
    status = await repo.conn().execute(
        "DELETE FROM program_receipts WHERE tenant_id = $1 AND program_code = $2 AND award_ref = $3",
        tenant_id,
        program_code,
        award_ref,
    )
    return int(status.rsplit(" ", 1)[-1])


__all__ = [
    "document_received_program",
    "has_received_program",
    "record_program_receipt",
    "withdraw_program_receipt",
]
