"""SQL of the registry: rows in and out of ``persons``, ``person_documents`` and ``enterprises``.

Everything runs inside the caller's tenant transaction (row-level security decides what is
visible); queries still name the tenant where they can (defence in depth). Database errors are
mapped without their text, which may quote values: a unique-violation message would otherwise
carry a blind index or a credit code into a log or an answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence
from typing import Any
from uuid import UUID

import asyncpg

from renshe.db.tenant import current_transaction
from renshe.errors import Conflict, NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.registry.model import BankView, Enterprise, Person, PersonDocument, StaleVersion

PERSON_NOT_FOUND = lazy("No such person.")
ENTERPRISE_NOT_FOUND = lazy("No such enterprise.")
CONFLICTING_CHANGE = lazy("The change conflicts with another record. Reload and try again.")
REFUSED_VALUE = lazy("A value was refused by the database checks.")

PERSON_COLUMNS = """p.tenant_id, p.id, o.code AS district_code, p.name, p.sex, p.birth_date, p.residency,
  p.mobile_masked, p.education, p.graduated_on, p.school, p.bank_account_masked, p.bank_account_name,
  p.bank_name, p.bank_branch_code, p.address, p.notes, p.version, p.created_at, p.updated_at"""
ENTERPRISE_COLUMNS = """e.tenant_id, e.id, o.code AS district_code, e.name, e.uscc, e.legal_representative,
  e.registered_on, e.registered_district, e.bank_account_masked, e.bank_account_name, e.bank_name,
  e.bank_branch_code, e.address, e.notes, e.version, e.created_at, e.updated_at"""


def conn() -> asyncpg.Connection:
    return current_transaction().connection


@contextlib.contextmanager
def mapped_errors() -> Iterator[None]:
    """Turn integrity errors into domain errors that say nothing about the values involved."""
    try:
        yield
    except asyncpg.UniqueViolationError:
        raise Conflict(CONFLICTING_CHANGE) from None
    except asyncpg.ForeignKeyViolationError:
        # a reference to a row this district cannot see looks exactly like a missing one
        raise NotFound() from None
    except (asyncpg.CheckViolationError, asyncpg.NotNullViolationError, asyncpg.DataError):
        raise ValidationFailed({}, REFUSED_VALUE) from None


def bank_view(row: asyncpg.Record | dict[str, Any]) -> BankView | None:
    if row["bank_account_masked"] is None and not row["bank_name"]:
        return None
    return BankView(
        account_masked=row["bank_account_masked"],
        account_name=row["bank_account_name"],
        bank_name=row["bank_name"],
        branch_code=row["bank_branch_code"],
    )


def person_from(row: asyncpg.Record, documents: Sequence[PersonDocument]) -> Person:
    return Person(
        id=row["id"], tenant_id=row["tenant_id"], district_code=row["district_code"], name=row["name"],
        sex=row["sex"], birth_date=row["birth_date"], residency=row["residency"],
        mobile_masked=row["mobile_masked"], education=row["education"],
        graduated_on=row["graduated_on"], school=row["school"], bank=bank_view(row),
        address=row["address"], notes=row["notes"], version=row["version"],
        created_at=row["created_at"], updated_at=row["updated_at"], documents=tuple(documents),
    )  # fmt: skip


def enterprise_from(row: asyncpg.Record) -> Enterprise:
    return Enterprise(
        id=row["id"], tenant_id=row["tenant_id"], district_code=row["district_code"], name=row["name"],
        uscc=row["uscc"], legal_representative=row["legal_representative"],
        registered_on=row["registered_on"], registered_district=row["registered_district"],
        bank=bank_view(row), address=row["address"], notes=row["notes"], version=row["version"],
        created_at=row["created_at"], updated_at=row["updated_at"],
    )  # fmt: skip


async def documents_of(person_ids: Collection[UUID]) -> dict[UUID, list[PersonDocument]]:
    return documents_by_person(await document_rows(person_ids))


async def document_rows(person_ids: Collection[UUID]) -> list[asyncpg.Record]:
    """The documents' rows of these people, in their order (build them with
    :func:`documents_by_person`, in a thread when there are many)."""
    return list(
        await conn().fetch(
            """SELECT person_id, id, doc_type, number_masked, renewal_count FROM person_documents
               WHERE person_id = ANY($1::uuid[]) ORDER BY person_id, position, created_at""",
            list(person_ids),
        )
    )


def documents_by_person(rows: list[asyncpg.Record]) -> dict[UUID, list[PersonDocument]]:
    found: dict[UUID, list[PersonDocument]] = {}
    for r in rows:
        found.setdefault(r["person_id"], []).append(
            PersonDocument(r["id"], r["doc_type"], r["number_masked"], r["renewal_count"])
        )
    return found


async def person_rows(where: str, *args: Any, for_update: bool = False) -> list[asyncpg.Record]:
    lock = " FOR UPDATE OF p" if for_update else ""
    return list(
        await conn().fetch(
            f"SELECT {PERSON_COLUMNS} FROM persons p JOIN org_units o ON o.id = p.tenant_id"
            f" WHERE {where}{lock}",
            *args,
        )
    )


async def load_person(person_id: UUID, tenant_ids: Collection[UUID] | None = None,
                      *, for_update: bool = False) -> Person:  # fmt: skip
    """One person visible to this transaction (``NotFound`` for a missing or foreign id)."""
    rows = await person_rows(
        "p.id = $1 AND ($2::uuid[] IS NULL OR p.tenant_id = ANY($2::uuid[]))",
        person_id,
        None if tenant_ids is None else list(tenant_ids),
        for_update=for_update,
    )
    if not rows:
        raise NotFound(PERSON_NOT_FOUND)
    docs = await documents_of([person_id])
    return person_from(rows[0], docs.get(person_id, []))


async def load_enterprise(enterprise_id: UUID, tenant_ids: Collection[UUID] | None = None,
                          *, for_update: bool = False) -> Enterprise:  # fmt: skip
    lock = " FOR UPDATE OF e" if for_update else ""
    row = await conn().fetchrow(
        f"""SELECT {ENTERPRISE_COLUMNS} FROM enterprises e JOIN org_units o ON o.id = e.tenant_id
            WHERE e.id = $1 AND ($2::uuid[] IS NULL OR e.tenant_id = ANY($2::uuid[])){lock}""",
        enterprise_id,
        None if tenant_ids is None else list(tenant_ids),
    )
    if row is None:
        raise NotFound(ENTERPRISE_NOT_FOUND)
    return enterprise_from(row)


async def bump_version(table: str, tenant_id: UUID, row_id: UUID, expected: int | None) -> int:
    """``version + 1`` if the row still has ``expected`` (any version when None)."""
    version: int | None = await conn().fetchval(
        f"""UPDATE {table} SET version = version + 1, updated_at = now()
            WHERE tenant_id = $1 AND id = $2 AND ($3::integer IS NULL OR version = $3)
            RETURNING version""",
        tenant_id,
        row_id,
        expected,
    )
    if version is None:
        raise StaleVersion()
    return version
