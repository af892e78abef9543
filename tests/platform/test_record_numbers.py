"""Numbers people can say on the phone (0014_record_numbers.sql), against the real database.

SQ/PF/DR + district code + year + six digits; per district, kind and year without gaps, also when
several transactions create rows at once and some of them roll back; existing rows numbered in
created order by the migration.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from datetime import date
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.db import migrate, urls
from renshe.settings import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

PENGJIANG, JIANGHAI = "440703", "440704"


@pytest_asyncio.fixture(loop_scope="session")
async def su(db: None, admin_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    yield conn
    await conn.close()


async def _unit(conn: asyncpg.Connection, code: str) -> UUID:
    unit: UUID = await conn.fetchval("SELECT id FROM org_units WHERE code = $1", code)
    return unit


async def _unused_year(conn: asyncpg.Connection, kind: str) -> int:
    """A year no other test has numbered rows of this kind in (the database is shared)."""
    used = {r["year"] for r in await conn.fetch("SELECT year FROM record_numbers WHERE kind = $1", kind)}
    return next(y for y in range(2090, 2000, -1) if y not in used)


async def _program(conn: asyncpg.Connection) -> str:
    await conn.execute(
        """INSERT INTO programs (code, family, name_zh, name_en, beneficiary)
           VALUES ('numbers_fixture', 'employment', '编号测试', 'Numbers fixture', '{person}')
           ON CONFLICT (code) DO NOTHING"""
    )
    return "numbers_fixture"


async def _insert_application(conn: asyncpg.Connection, tenant: UUID, on: date, program: str) -> str:
    person = await conn.fetchval(
        "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, '编号测试', 'mainland') RETURNING id",
        tenant,
    )
    number: str = await conn.fetchval(
        """INSERT INTO applications (tenant_id, program_code, person_id, application_date, number)
           VALUES ($1, $2, $3, $4, 'SQ-CHOSEN-BY-THE-CALLER') RETURNING number""",
        tenant,
        program,
        person,
        on,
    )
    return number


async def _insert_batch(conn: asyncpg.Connection, tenant: UUID, on: date) -> str:
    number: str = await conn.fetchval(
        """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin, payer_account,
                                             payer_name, payer_bank, layout)
           VALUES ($1, $2, $3, 'manual', '4444070301010012168', 'fixture', 'fixture', 'generic_csv')
           RETURNING number""",
        tenant,
        f"numbers:{uuid.uuid4()}",
        on,
    )
    return number


async def test_format_and_sequence_per_district_and_year(su: asyncpg.Connection) -> None:
    pengjiang, jianghai = await _unit(su, PENGJIANG), await _unit(su, JIANGHAI)
    year = await _unused_year(su, "PF")
    first = await _insert_batch(su, pengjiang, date(year, 3, 1))
    second = await _insert_batch(su, pengjiang, date(year, 12, 31))
    other_district = await _insert_batch(su, jianghai, date(year, 6, 1))
    next_year = await _insert_batch(su, pengjiang, date(year + 1, 1, 1)) if year < 2100 else None
    assert first == f"PF{PENGJIANG}-{year}-000001"
    assert second == f"PF{PENGJIANG}-{year}-000002"
    assert other_district == f"PF{JIANGHAI}-{year}-000001"  # each district counts on its own
    assert next_year in (None, f"PF{PENGJIANG}-{year + 1}-000001")  # and restarts each year

    program = await _program(su)
    app_year = await _unused_year(su, "SQ")
    # the caller's number is ignored: the database hands it out
    assert await _insert_application(su, pengjiang, date(app_year, 5, 4), program) == (
        f"SQ{PENGJIANG}-{app_year}-000001"
    )
    imported = await su.fetchval(
        """INSERT INTO import_batches (tenant_id, kind, filename, file_format, file_size, file_sha256)
           VALUES ($1, 'people', 'n.csv', 'csv', 0, $2) RETURNING number""",
        pengjiang,
        uuid.uuid4().bytes,
    )
    assert re.fullmatch(rf"DR{PENGJIANG}-20[0-9]{{2}}-[0-9]{{6}}", imported)


async def test_a_number_never_changes(su: asyncpg.Connection) -> None:
    pengjiang = await _unit(su, PENGJIANG)
    number = await _insert_batch(su, pengjiang, date(2030, 1, 2))
    with pytest.raises(asyncpg.CheckViolationError, match="never changes"):
        await su.execute("UPDATE disbursement_batches SET number = 'PF0' WHERE number = $1", number)


async def _creator(
    settings: Settings, tenant: UUID, kind: str, on: date, program: str, commit: bool, start: asyncio.Event
) -> str | None:
    """One clerk or builder: the application role in a district transaction, holding its number a
    moment before committing or rolling back."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(urls.role_url(settings, "app")))
    try:
        await start.wait()
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "SELECT set_config('app.tenant_ids', $1, true), set_config('app.write_tenant_ids', $1, true)",
            str(tenant),
        )
        if kind == "SQ":
            number = await _insert_application(conn, tenant, on, program)
        else:
            number = await _insert_batch(conn, tenant, on)
        await asyncio.sleep(0.01)
        if commit:
            await tx.commit()
            return number
        await tx.rollback()
        return None
    finally:
        await conn.close()


@pytest.mark.parametrize("kind", ["SQ", "PF"])
async def test_gapless_and_unique_under_concurrent_creators(
    kind: str, su: asyncpg.Connection, settings: Settings
) -> None:
    pengjiang = await _unit(su, PENGJIANG)
    program = await _program(su)
    year = await _unused_year(su, kind)
    on = date(year, 7, 1)
    start = asyncio.Event()
    plan = [n % 3 != 1 for n in range(12)]  # every third one rolls back
    tasks = [
        asyncio.create_task(_creator(settings, pengjiang, kind, on, program, commit, start))
        for commit in plan
    ]
    await asyncio.sleep(0.2)  # every creator connected and waiting
    start.set()
    committed = [n for n in await asyncio.gather(*tasks) if n is not None]
    table = "applications" if kind == "SQ" else "disbursement_batches"
    stored = await su.fetch(
        f"SELECT number FROM {table} WHERE tenant_id = $1 AND number LIKE $2 ORDER BY number",
        pengjiang,
        f"{kind}{PENGJIANG}-{year}-%",
    )
    expected = [f"{kind}{PENGJIANG}-{year}-{n:06d}" for n in range(1, sum(plan) + 1)]
    assert sorted(committed) == [r["number"] for r in stored] == expected
    # the next one follows on: the numbers given back by the rollbacks were reused, not skipped
    assert await su.fetchval(
        "SELECT last_value FROM record_numbers WHERE tenant_id = $1 AND kind = $2 AND year = $3",
        pengjiang,
        kind,
        year,
    ) == sum(plan)


async def test_the_migration_numbers_existing_rows_in_created_order(
    db: None, settings: Settings, admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database at 0013 with rows of two districts and two years; 0014 numbers them."""
    name = f"renshe_numbers_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    await admin.execute(f'CREATE DATABASE "{name}" ENCODING UTF8 TEMPLATE template0')
    scratch = dataclasses.replace(settings, database_url=urls.with_database(admin_url, name))
    try:
        every = migrate.available()
        monkeypatch.setattr(migrate, "available", lambda: [m for m in every if m.version <= 13])
        await migrate.migrate(scratch)
        conn = await asyncpg.connect(**urls.asyncpg_kwargs(scratch.database_url or ""))
        try:
            units = {}
            for code in (PENGJIANG, JIANGHAI):
                units[code] = await conn.fetchval(
                    """INSERT INTO org_units (key, code, kind, name_zh, name_en)
                       VALUES ($1, $2, 'district', $2, $2) RETURNING id""",
                    f"d{code}",
                    code,
                )
            program = await _program(conn)
            made = []  # (district, application date, created at) in an order unlike the creation
            for code, on, at in [
                (PENGJIANG, date(2025, 12, 30), "2026-01-03 10:00+08"),
                (PENGJIANG, date(2026, 1, 2), "2026-01-02 09:00+08"),
                (PENGJIANG, date(2025, 11, 1), "2025-11-01 09:00+08"),
                (JIANGHAI, date(2025, 12, 1), "2025-12-01 09:00+08"),
                (PENGJIANG, date(2026, 1, 5), "2026-01-01 09:00+08"),
            ]:
                person = await conn.fetchval(
                    "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, '旧', 'mainland')"
                    " RETURNING id",
                    units[code],
                )
                made.append(
                    await conn.fetchval(
                        """INSERT INTO applications (tenant_id, program_code, person_id, application_date,
                                                     created_at)
                           VALUES ($1, $2, $3, $4, $5::text::timestamptz) RETURNING id""",
                        units[code],
                        program,
                        person,
                        on,
                        at,
                    )
                )
            batch = await conn.fetchval(
                """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin,
                          payer_account, payer_name, payer_bank, layout)
                   VALUES ($1, 'old', '2026-02-01', 'manual', '4444', 'x', 'x', 'generic_csv')
                   RETURNING id""",
                units[PENGJIANG],
            )
            # 2025-12-31 20:00 UTC is already 2026 in Shanghai
            imported = await conn.fetchval(
                """INSERT INTO import_batches (tenant_id, kind, filename, file_format, file_size, file_sha256,
                                               created_at)
                   VALUES ($1, 'people', 'old.csv', 'csv', 0, '\\x00', '2025-12-31 20:00+00') RETURNING id""",
                units[PENGJIANG],
            )

            monkeypatch.setattr(migrate, "available", lambda: every)
            assert [m.version for m in await migrate.migrate(scratch)] == [
                m.version for m in every if m.version > 13
            ]

            numbers = {r["id"]: r["number"] for r in await conn.fetch("SELECT id, number FROM applications")}
            assert [numbers[i] for i in made] == [
                "SQ440703-2025-000002",  # 2025, created after the November one
                "SQ440703-2026-000002",
                "SQ440703-2025-000001",
                "SQ440704-2025-000001",
                "SQ440703-2026-000001",  # created first of the 2026 ones
            ]
            assert await conn.fetchval("SELECT number FROM disbursement_batches WHERE id = $1", batch) == (
                "PF440703-2026-000001"
            )
            assert await conn.fetchval("SELECT number FROM import_batches WHERE id = $1", imported) == (
                "DR440703-2026-000001"
            )
            # the counters carry on from the backfill
            person = await conn.fetchval(
                "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, '新', 'mainland') RETURNING id",
                units[PENGJIANG],
            )
            assert (
                await conn.fetchval(
                    """INSERT INTO applications (tenant_id, program_code, person_id, application_date)
                   VALUES ($1, $2, $3, '2026-03-01') RETURNING number""",
                    units[PENGJIANG],
                    program,
                    person,
                )
                == "SQ440703-2026-000003"
            )
        finally:
            await conn.close()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
