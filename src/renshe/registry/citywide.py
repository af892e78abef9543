"""全市一次性限制 — "has this person already received program P anywhere in the city?"

Some subsidies may be received once per person in the whole city. Districts cannot see each
other's people, so the question goes to one narrow database gate,
``document_received_program(index, program)`` (SECURITY DEFINER, owned by the NOLOGIN role
``renshe_program_gate``), which answers yes or no and nothing else: not where, not when, not
who. Receipts are keyed by the blind index of each of the person's documents, which is the same
in every district, so a person registered with an HKID here and with a home-return permit there
is still found through whichever document both districts hold.

A receipt (``program_receipts``) is written when an award is paid. From approval until then the
award holds a claim (``program_claims``, 在途占用), and the gate answers yes for either: two
districts approving the same person in the same week cannot both pay. Approval first
:func:`serialise`\\ s on the person's documents (a transaction advisory lock per blind index), so
two approvals anywhere in the city judge one after the other; a city-wide unique index on live
claims of once-per-lifetime programs backs this up. A claim is released by the database itself
when its award leaves the approved-and-unpaid states (migration 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import asyncpg

from renshe.errors import Conflict
from renshe.i18n import lazy
from renshe.registry import repository as repo
from renshe.registry.identifiers import DocumentType, ValidatedDocument
from renshe.registry.sealing import document_index

CLAIMED = lazy(
    "This person has already received or been awarded this subsidy, which is paid once per "
    "lifetime in the whole city."
)


class AlreadyClaimed(Conflict):
    """Another live award of a once-per-lifetime program holds one of the person's documents."""

    def __init__(self) -> None:
        super().__init__(CLAIMED)


async def document_received_program(document: ValidatedDocument, program_code: str) -> bool:
    """Yes/no for one document (any district; received, or awarded and not yet paid)."""
    index = document_index(DocumentType(document.type), document.identity_key)
    answer: bool = await repo.conn().fetchval("SELECT document_received_program($1, $2)", index, program_code)
    return bool(answer)


async def has_received_program(tenant_id: UUID, person_id: UUID, program_code: str) -> bool:
    """Whether any document of this district's person has received (or holds a live award of)
    ``program_code`` anywhere in the city (``NotFound`` if the person is not this district's)."""
    await repo.load_person(person_id, [tenant_id])
    answer = await repo.conn().fetchval(
        """SELECT coalesce(bool_or(document_received_program(number_index, $3)), false)
           FROM person_documents WHERE tenant_id = $1 AND person_id = $2""",
        tenant_id, person_id, program_code,
    )  # fmt: skip
    return bool(answer)


async def has_received_program_elsewhere(tenant_id: UUID, person_id: UUID, program_code: str) -> bool:
    """The same question about districts other than ``tenant_id`` only: still yes or no, never
    which district (for the reviewer's risk signal)."""
    answer = await repo.conn().fetchval(
        """SELECT coalesce(bool_or(document_received_program_elsewhere(number_index, $3, $1)), false)
           FROM person_documents WHERE tenant_id = $1 AND person_id = $2""",
        tenant_id, person_id, program_code,
    )  # fmt: skip
    return bool(answer)


async def serialise(tenant_id: UUID, person_id: UUID) -> None:
    """Wait for any other transaction in the city judging or claiming one of this person's
    documents (a transaction-scoped advisory lock per blind index, taken in a fixed order so two
    approvals cannot deadlock). Call before judging an approval, in the same transaction."""
    await repo.conn().execute(
        """SELECT pg_advisory_xact_lock(hashtextextended('citywide:' || encode(number_index, 'hex'), 0))
           FROM (SELECT DISTINCT number_index FROM person_documents
                 WHERE tenant_id = $1 AND person_id = $2 ORDER BY number_index) d""",
        tenant_id,
        person_id,
    )


async def claim_program(
    tenant_id: UUID, person_id: UUID, program_code: str, application_id: UUID, *, exclusive: bool, on: date
) -> int:
    """Hold ``program_code`` for this person from the approval of ``application_id`` (one row per
    document). ``exclusive``: the program is once per lifetime, so a second live claim on any of
    the documents anywhere in the city is refused by the database (``AlreadyClaimed``).
    Idempotent for the same award. Returns rows added."""
    try:
        status = await repo.conn().execute(
            """INSERT INTO program_claims (tenant_id, program_code, document_index, application_id,
                                           exclusive, claimed_on)
               SELECT tenant_id, $3, number_index, $4, $5, $6 FROM person_documents
               WHERE tenant_id = $1 AND person_id = $2
               ON CONFLICT ON CONSTRAINT program_claims_once DO NOTHING""",
            tenant_id, person_id, program_code, application_id, exclusive, on,
        )  # fmt: skip
    except asyncpg.UniqueViolationError as exc:
        raise AlreadyClaimed() from exc
    return int(status.rsplit(" ", 1)[-1])


@dataclass(frozen=True, slots=True)
class Receipt:
    """One paid award of a person: ``program_code`` received under award ``award_ref``."""

    person_id: UUID
    program_code: str
    award_ref: str


async def record_program_receipts(tenant_id: UUID, receipts: Sequence[Receipt], received_on: date) -> int:
    """Note, city-wide, that these people received these programs: one row per document of each
    person, in one set-based statement however many awards (a whole bank return file).
    Idempotent: recording the same award again adds nothing. Returns rows added."""
    if not receipts:
        return 0
    status = await repo.conn().execute(
        """INSERT INTO program_receipts (tenant_id, program_code, document_index, person_id,
                                         award_ref, received_on)
           SELECT d.tenant_id, r.program_code, d.number_index, d.person_id, r.award_ref, $5
           FROM unnest($2::uuid[], $3::text[], $4::text[]) AS r(person_id, program_code, award_ref)
           JOIN person_documents d ON d.tenant_id = $1 AND d.person_id = r.person_id
           ON CONFLICT ON CONSTRAINT program_receipts_once DO NOTHING""",
        tenant_id, [r.person_id for r in receipts], [r.program_code for r in receipts],
        [r.award_ref for r in receipts], received_on,
    )  # fmt: skip
    return int(status.rsplit(" ", 1)[-1])


async def record_program_receipt(
    tenant_id: UUID, person_id: UUID, program_code: str, award_ref: str, received_on: date
) -> int:
    """:func:`record_program_receipts` for one award of a person registered in ``tenant_id``."""
    await repo.load_person(person_id, [tenant_id])
    receipt = Receipt(person_id, program_code, award_ref)
    return await record_program_receipts(tenant_id, [receipt], received_on)


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
    "AlreadyClaimed",
    "Receipt",
    "claim_program",
    "document_received_program",
    "has_received_program",
    "has_received_program_elsewhere",
    "record_program_receipt",
    "record_program_receipts",
    "serialise",
    "withdraw_program_receipt",
]
