"""The nightly fan-out: one job per active org unit per nightly kind per business date, however
many times (and however concurrently) it fires."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio
from workers.scheduler import SHANGHAI, business_date, last_due_business_date

from renshe.db import urls
from renshe.errors import NotFound
from renshe.jobs import kinds, nightly

pytestmark = pytest.mark.usefixtures("db")
RENSHE = str(Path(sys.executable).parent / "renshe")


@pytest_asyncio.fixture(loop_scope="session")
async def inactive_unit(admin_url: str) -> AsyncIterator[str]:
    code = f"48{secrets.randbelow(10_000):04d}"
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        await conn.execute(
            "INSERT INTO org_units (key, code, kind, parent_id, name_zh, name_en, active)"
            " SELECT $1, $2, 'district', id, '已撤销区', 'Closed District', false"
            " FROM org_units WHERE code = '440700'",
            f"closed-{code}",
            code,
        )
        yield code
    finally:
        await conn.execute(
            "DELETE FROM jobs WHERE tenant_id = (SELECT id FROM org_units WHERE code = $1)", code
        )
        await conn.execute("DELETE FROM org_units WHERE code = $1", code)
        await conn.close()


async def _nightly_jobs(admin_url: str, day: date) -> list[asyncpg.Record]:
    """Every job of that night across all tenants, seen as a superuser (no RLS)."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        return await conn.fetch(
            "SELECT j.tenant_id, o.code, o.active, j.kind, j.idempotency_key, j.business_date"
            " FROM jobs j JOIN org_units o ON o.id = j.tenant_id"
            " WHERE j.idempotency_key LIKE 'nightly:%' AND j.business_date = $1",
            day,
        )
    finally:
        await conn.close()


async def _active_units(admin_url: str) -> dict[UUID, str]:
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        rows = await conn.fetch("SELECT id, kind FROM org_units WHERE active")
    finally:
        await conn.close()
    return {r["id"]: r["kind"] for r in rows}


async def test_two_fan_outs_for_one_date_make_one_job_per_active_unit_per_kind(
    admin_url: str, inactive_unit: str
) -> None:
    day = date(2001, 1, 1 + secrets.randbelow(28))
    # two schedulers firing at the same minute, then a manual re-run
    first, second = await asyncio.gather(nightly.fan_out(day), nightly.fan_out(day))
    third = await nightly.fan_out(day)

    active = await _active_units(admin_url)
    expected = {
        (unit, k.name)
        for unit, unit_kind in active.items()
        for k in kinds.nightly()
        if unit_kind in k.unit_kinds
    }
    assert len(expected) >= 8  # the city and its seven districts
    rows = await _nightly_jobs(admin_url, day)
    assert sorted((r["tenant_id"], r["kind"]) for r in rows) == sorted(expected)  # no duplicates
    assert all(r["idempotency_key"] == f"nightly:{r['kind']}:{day.isoformat()}" for r in rows)
    assert inactive_unit not in {r["code"] for r in rows}

    created = [p for p in (*first, *second) if p.created]
    assert len(created) == len(expected)  # each job created by exactly one of the two
    assert not any(p.created for p in third)
    assert {p.job_id for p in third} == {p.job_id for p in first} == {p.job_id for p in second}


async def test_fan_out_for_one_tenant(inactive_unit: str) -> None:
    day = date(2002, 2, 2)
    planned = await nightly.fan_out(day, "440781")
    assert {p.tenant_code for p in planned} == {"440781"}
    assert [p.kind for p in planned] == [k.name for k in kinds.nightly() if "district" in k.unit_kinds]
    with pytest.raises(NotFound):
        await nightly.fan_out(day, inactive_unit)


def test_the_nightly_command_prints_created_then_existing() -> None:
    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [RENSHE, "nightly", "--date", "2003-03-03", "--tenant", "440783"],
            capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False,
        )  # fmt: skip

    once, again = run(), run()
    assert once.returncode == 0, once.stderr
    assert "created  440783 audit.verify_chain" in once.stdout
    per_district = len([k for k in kinds.nightly() if "district" in k.unit_kinds])  # one per nightly kind
    assert f"{per_district} created, 0 already existed" in once.stdout
    assert "existing 440783 audit.verify_chain" in again.stdout
    assert f"0 created, {per_district} already existed" in again.stdout
    unknown = subprocess.run(
        [RENSHE, "nightly", "--tenant", "999999"], capture_output=True, text=True, timeout=60,
        env=os.environ.copy(), check=False,
    )  # fmt: skip
    assert unknown.returncode != 0
    assert "no active org unit with code 999999" in unknown.stderr


def test_business_date_is_yesterday_in_shanghai() -> None:
    # 01:00 Shanghai on 2026-03-10 is 17:00 UTC on 2026-03-09
    fired = datetime(2026, 3, 10, 1, 0, tzinfo=SHANGHAI)
    assert business_date(fired) == date(2026, 3, 9)
    # started at 00:30 before the 01:00 run: the last night due is the one before
    assert last_due_business_date(datetime(2026, 3, 10, 0, 30, tzinfo=SHANGHAI), 1) == date(2026, 3, 8)
    assert last_due_business_date(datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), 1) == date(2026, 3, 9)
