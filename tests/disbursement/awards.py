"""``ready`` awards for the batch tests, written directly as a superuser (the applications helper
owns the states before ``ready``), with the payee account sealed at the application's place."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.service import application_place, batch_lines
from renshe.protection.fields import encrypt

PROGRAM = "startup_once"
YEAR = 2026
READY_ON = date(2026, 3, 2)


async def district(code: str) -> UUID:
    async with tenant_transaction(TenantContext.none()):
        value: UUID = await current_transaction().connection.fetchval(
            "SELECT id FROM org_units WHERE code = $1", code
        )
    return value


async def _program(conn: asyncpg.Connection, program: str = PROGRAM) -> UUID:
    """A real catalogue program's first version (the test session syncs the catalogue)."""
    version: UUID = await conn.fetchval(
        "SELECT id FROM program_versions WHERE program_code = $1 ORDER BY version LIMIT 1", program
    )
    return version


async def make_ready(
    admin_url: str,
    tenant: UUID,
    count: int,
    amount_fen: int = 100_000,
    ready_on: date = READY_ON,
    state: str = "ready",
    program: str = PROGRAM,
) -> list[UUID]:
    """``count`` ready awards of ``amount_fen`` each, and that much reserved in the budget
    (``state`` another approved state, since an award cannot step back to it from ready)."""
    conn = await asyncpg.connect(admin_url)
    try:
        async with conn.transaction():
            version = await _program(conn, program)
            await conn.execute(
                """INSERT INTO budgets (tenant_id, program_code, year, total_fen, reserved_fen)
                   VALUES ($1, $2, $3, 1000000000000, $4)
                   ON CONFLICT (tenant_id, program_code, year)
                   DO UPDATE SET reserved_fen = budgets.reserved_fen + $4,
                     -- another test may have left this budget just big enough for its own awards
                     total_fen = GREATEST(budgets.total_fen, budgets.reserved_fen + budgets.paid_fen + $4)""",
                tenant, program, YEAR, count * amount_fen,
            )  # fmt: skip
            persons = await conn.fetch(
                """INSERT INTO persons (tenant_id, name, residency)
                   SELECT $1, '收款人' || g, 'mainland' FROM generate_series(1, $2) g RETURNING id""",
                tenant,
                count,
            )
            ids = [uuid.uuid4() for _ in range(count)]
            rows = [
                (
                    tenant, app_id, program, version, person["id"], ready_on, amount_fen, YEAR,
                    f"收款人{n}", encrypt(f"62220202{n:011d}", application_place(tenant, app_id)),
                    f"6222**********{n % 10000:04d}", "中国工商银行江门分行", state,
                )
                for n, (app_id, person) in enumerate(zip(ids, persons, strict=True), start=1)
            ]  # fmt: skip
            await conn.executemany(
                """INSERT INTO applications (tenant_id, id, program_code, policy_version_id, person_id,
                          application_date, amount_fen, budget_year, state, ready_on, payee_name,
                          payee_account_enc, payee_account_masked, payee_bank_name)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $13, $6, $9, $10, $11, $12)""",
                rows,
            )
        # Planner statistics as a live database has them: thousands of rows written a moment ago
        # would otherwise look like an empty table and get plans made for one (seconds per chunk).
        await conn.execute("ANALYZE applications, persons, payment_lines")
        return ids
    finally:
        await conn.close()


async def make_user(admin_url: str, tenant: UUID, role: str = "finance") -> audit.Actor:
    conn = await asyncpg.connect(admin_url)
    try:
        name = f"fin_{uuid.uuid4().hex[:10]}"
        user_id: UUID = await conn.fetchval(
            """INSERT INTO users (username, display_name, org_unit_id, password_hash)
               VALUES ($1, $1, $2, 'x') RETURNING id""",
            name,
            tenant,
        )
        await conn.execute("INSERT INTO role_grants (user_id, role) VALUES ($1, $2)", user_id, role)
        return audit.Actor(user_id, name, role)
    finally:
        await conn.close()


async def live_lines_per_award(tenant: UUID, app_ids: list[UUID]) -> dict[UUID, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            """SELECT a, (SELECT count(*) FROM payment_lines l WHERE l.tenant_id = $1
                          AND l.application_id = a AND l.state IN ('pending', 'paid')) AS n
               FROM unnest($2::uuid[]) a""",
            tenant,
            app_ids,
        )
    return {r["a"]: r["n"] for r in rows}


async def states(tenant: UUID, app_ids: list[UUID]) -> dict[str, int]:
    async with tenant_transaction(TenantContext.district(tenant)):
        rows = await current_transaction().connection.fetch(
            """SELECT state, count(*) AS n FROM applications WHERE tenant_id = $1 AND id = ANY($2::uuid[])
               GROUP BY state""",
            tenant,
            app_ids,
        )
    return {r["state"]: r["n"] for r in rows}


async def batches_with_lines(
    tenant: UUID, batch_ids: list[str]
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Each batch row and its lines, as the district sees them."""
    out = []
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        for batch_id in batch_ids:
            row = await conn.fetchrow(
                "SELECT * FROM disbursement_batches WHERE tenant_id = $1 AND id = $2", tenant, UUID(batch_id)
            )
            out.append((dict(row), await batch_lines(tenant, UUID(batch_id))))
    return out


def dumps(value: object) -> str:
    return json.dumps(value, default=str)
