"""Ready awards in bulk for the benchmarks, written with COPY as the superuser (the states before
``ready`` are not what is measured). Payee accounts are sealed per application as the product
seals them, so building reads and re-seals real ciphertext."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import asyncpg

from renshe.disbursement.service import application_place
from renshe.protection.fields import encrypt

PROGRAM = "startup_once"
AMOUNT_FEN = 1_000_000
READY_ON = date(2026, 3, 2)
CHUNK = 20_000


async def district(conn: asyncpg.Connection, code: str) -> UUID:
    value: UUID = await conn.fetchval("SELECT id FROM org_units WHERE code = $1", code)
    return value


async def make_ready(url: str, code: str, count: int) -> UUID:
    """``count`` ready awards in district ``code``; returns the district's id."""
    conn = await asyncpg.connect(url)
    try:
        tenant = await district(conn, code)
        version = await conn.fetchval(
            "SELECT id FROM program_versions WHERE program_code = $1 ORDER BY version LIMIT 1", PROGRAM
        )
        await conn.execute(
            """INSERT INTO budgets (tenant_id, program_code, year, total_fen, reserved_fen)
               VALUES ($1, $2, 2026, 9000000000000000, $3)
               ON CONFLICT (tenant_id, program_code, year)
               DO UPDATE SET reserved_fen = budgets.reserved_fen + $3""",
            tenant, PROGRAM, count * AMOUNT_FEN,
        )  # fmt: skip
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            person_ids = [uuid.uuid4() for _ in range(n)]
            await conn.copy_records_to_table(
                "persons",
                records=[(tenant, p, f"收款人{start + i}", "mainland") for i, p in enumerate(person_ids)],
                columns=["tenant_id", "id", "name", "residency"],
            )
            rows = []
            for i, person in enumerate(person_ids):
                app_id = uuid.uuid4()
                k = start + i
                rows.append((
                    tenant, app_id, PROGRAM, version, person, READY_ON, AMOUNT_FEN, 2026, "ready",
                    READY_ON, f"收款人{k}", encrypt(f"62220202{k:011d}", application_place(tenant, app_id)),
                    f"6222**********{k % 10000:04d}", "中国工商银行江门分行",
                ))  # fmt: skip
            await conn.copy_records_to_table(
                "applications",
                records=rows,
                columns=[
                    "tenant_id", "id", "program_code", "policy_version_id", "person_id",
                    "application_date", "amount_fen", "budget_year", "state", "ready_on", "payee_name",
                    "payee_account_enc", "payee_account_masked", "payee_bank_name",
                ],
            )  # fmt: skip
        await conn.execute("ANALYZE persons; ANALYZE applications")
        return tenant
    finally:
        await conn.close()


async def finance_user(url: str, tenant: UUID) -> UUID:
    conn = await asyncpg.connect(url)
    try:
        name = f"bench_fin_{uuid.uuid4().hex[:8]}"
        user_id: UUID = await conn.fetchval(
            """INSERT INTO users (username, display_name, org_unit_id, password_hash)
               VALUES ($1, $1, $2, 'x') RETURNING id""",
            name,
            tenant,
        )
        await conn.execute("INSERT INTO role_grants (user_id, role) VALUES ($1, 'finance')", user_id)
        return user_id
    finally:
        await conn.close()
