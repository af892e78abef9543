"""How to put one row into each tenant table as a superuser, for the isolation attacks.

Every tenant table must have a factory here: `test_every_tenant_table_has_a_factory` fails
otherwise, so a new table cannot slip past the attacks. A factory takes a superuser asyncpg
connection and a tenant id and returns the new row's id (as text).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

Factory = Callable[[asyncpg.Connection, UUID], Awaitable[str]]


async def _audit_log(conn: asyncpg.Connection, tenant: UUID) -> str:
    seq = await conn.fetchval(
        "SELECT audit_append($1, NULL, 'attack-fixture', NULL, 'fixture.row', 'fixture', 'x',"
        " NULL, NULL, NULL, NULL)",
        tenant,
    )
    return str(await conn.fetchval("SELECT id FROM audit_log WHERE tenant_id = $1 AND seq = $2", tenant, seq))


async def _jobs(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            "INSERT INTO jobs (tenant_id, kind, idempotency_key, status)"
            " VALUES ($1, 'fixture.row', $2, 'succeeded') RETURNING id",
            tenant,
            f"fixture:{uuid.uuid4()}",
        )
    )


async def _person(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    person: UUID = await conn.fetchval(
        "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, '测试人员', 'mainland') RETURNING id",
        tenant,
    )
    return person


async def _persons(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _person(conn, tenant))


async def _person_documents(conn: asyncpg.Connection, tenant: UUID) -> str:
    # ciphertext and index are opaque bytes here: the attacks are about rows, not their content
    return str(
        await conn.fetchval(
            """INSERT INTO person_documents (tenant_id, person_id, doc_type, number_enc, number_index,
                                             number_masked)
               VALUES ($1, $2, 'passport', 'fixture:x:y', $3, 'E*****01') RETURNING id""",
            tenant,
            await _person(conn, tenant),
            uuid.uuid4().bytes,
        )
    )


def _uscc() -> str:
    # the CHECK constraint's form only (hex digits are all in the USCC alphabet)
    return "91" + f"{uuid.uuid4().int % 10**6:06d}" + uuid.uuid4().hex[:10].upper()


async def _enterprise(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    enterprise: UUID = await conn.fetchval(
        "INSERT INTO enterprises (tenant_id, name, uscc, legal_representative)"
        " VALUES ($1, '测试企业', $2, '张三') RETURNING id",
        tenant,
        _uscc(),
    )
    return enterprise


async def _enterprises(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _enterprise(conn, tenant))


async def _person_enterprise_links(conn: asyncpg.Connection, tenant: UUID) -> str:
    # an ended link: the copy the insert attack makes does not collide with the open-link index
    return str(
        await conn.fetchval(
            """INSERT INTO person_enterprise_links (tenant_id, person_id, enterprise_id, role, since, until)
               VALUES ($1, $2, $3, 'employee', '2020-01-01', '2021-01-01') RETURNING id""",
            tenant,
            await _person(conn, tenant),
            await _enterprise(conn, tenant),
        )
    )


async def _program_receipts(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO program_receipts (tenant_id, program_code, document_index, award_ref, received_on)
               VALUES ($1, 'fixture', $2, $3, '2024-01-01') RETURNING id""",
            tenant,
            uuid.uuid4().bytes,
            f"fixture:{uuid.uuid4()}",
        )
    )


async def _import_batches(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO import_batches (tenant_id, kind, filename, file_format, file_size, file_sha256)
               VALUES ($1, 'people', 'fixture.csv', 'csv', 0, $2) RETURNING id""",
            tenant,
            uuid.uuid4().bytes,
        )
    )


FACTORIES: dict[str, Factory] = {
    "audit_log": _audit_log,
    "jobs": _jobs,
    "persons": _persons,
    "person_documents": _person_documents,
    "enterprises": _enterprises,
    "person_enterprise_links": _person_enterprise_links,
    "program_receipts": _program_receipts,
    "import_batches": _import_batches,
}

# Columns under a unique constraint: the insert attack copies a victim row, and its control
# (the same insert in the victim's own context must work) needs fresh values there. SQL
# expressions, evaluated by the database.
FRESH_COLUMNS: dict[str, dict[str, str]] = {
    "jobs": {"idempotency_key": "'attack'"},
    "person_documents": {"number_index": "sha256(gen_random_uuid()::text::bytea)"},
    "enterprises": {
        "uscc": "'91' || lpad((floor(random() * 1000000))::int::text, 6, '0')"
        " || upper(substr(md5(random()::text), 1, 10))"
    },
    "program_receipts": {"award_ref": "gen_random_uuid()::text"},
}
