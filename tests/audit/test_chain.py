"""The audit chain: intact chains verify, a hand-edited, re-hashed or deleted record is named —
by `renshe audit verify` (maintenance role) and by the nightly job (application role, RLS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from renshe.audit import chain
from renshe.cli.audit import verify_all
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner, service
from tests.audit.conftest import Unit, tamper
from tests.jobs.support import key, load_job

pytestmark = pytest.mark.usefixtures("db")
RENSHE = str(Path(sys.executable).parent / "renshe")


async def _app_report(unit: Unit) -> chain.ChainReport:
    async with tenant_transaction(TenantContext.district(unit.id)):
        return await chain.verify(current_transaction().connection, unit.id)


async def _maint_report(settings, unit: Unit) -> chain.ChainReport:  # type: ignore[no-untyped-def]
    (only,) = await verify_all(settings, unit.code)
    return only.report


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RENSHE, "audit", "verify", *args], capture_output=True, text=True, timeout=60,
        env=os.environ.copy(), check=False,
    )  # fmt: skip


async def test_an_intact_chain_verifies(unit: Unit, settings) -> None:  # type: ignore[no-untyped-def]
    report = await _app_report(unit)
    assert report.ok and report.records == 5 and report.last_seq == 5
    assert (await _maint_report(settings, unit)).ok
    done = _cli("--tenant", unit.code)
    assert done.returncode == 0, done.stderr
    assert f"{unit.code} Test District: ok (5 records)" in done.stdout


async def test_an_edited_record_is_named(unit: Unit, settings, admin_url: str) -> None:  # type: ignore[no-untyped-def]
    await tamper(
        admin_url,
        """UPDATE audit_log SET after = '{"n": 300}' WHERE tenant_id = $1 AND seq = 3""",
        unit.id,
    )
    report = await _maint_report(settings, unit)
    assert (report.ok, report.broken_seq, report.problem) == (False, 3, "hash")
    assert (await _app_report(unit)).broken_seq == 3

    # every org unit, as an operator runs it: non-zero exit naming the unit and the record
    done = _cli()
    assert done.returncode == 1
    assert f"org unit {unit.code}, seq 3" in done.stderr
    assert f"{unit.code} Test District: BROKEN at seq 3" in done.stdout
    assert "440703 Pengjiang District: ok" in done.stdout


async def test_a_rehashed_record_breaks_the_next_link(unit: Unit, settings, admin_url: str) -> None:  # type: ignore[no-untyped-def]
    # A careful intruder recomputes the edited record's own hash; the next record still points
    # to the old one.
    await tamper(
        admin_url,
        """UPDATE audit_log SET after = '{"n": 300}' WHERE tenant_id = $1 AND seq = 3""",
        unit.id,
    )
    await tamper(
        admin_url,
        "UPDATE audit_log a SET hash = audit_link_hash(a.prev_hash, audit_canonical(a))"
        " WHERE tenant_id = $1 AND seq = 3",
        unit.id,
    )
    report = await _maint_report(settings, unit)
    assert (report.broken_seq, report.problem, report.previous_seq) == (4, "link", 3)


async def test_a_deleted_record_is_a_gap(unit: Unit, settings, admin_url: str) -> None:  # type: ignore[no-untyped-def]
    await tamper(admin_url, "DELETE FROM audit_log WHERE tenant_id = $1 AND seq = 2", unit.id)
    report = await _maint_report(settings, unit)
    assert (report.broken_seq, report.problem, report.expected_seq) == (3, "gap", 2)
    assert "record 2 is missing" in report.describe()
    done = _cli("--tenant", unit.code)
    assert done.returncode == 1
    assert f"org unit {unit.code}, seq 3 (gap)" in done.stderr


async def test_the_nightly_job_records_a_broken_chain(unit: Unit, admin_url: str) -> None:
    async with tenant_transaction(TenantContext.district(unit.id)):
        intact = await service.enqueue("audit.verify_chain", unit.id, {}, key())
    assert await runner.run(unit.id, intact.id) == "succeeded"
    result = (await load_job(unit.id, intact.id)).result
    assert result is not None and result["ok"] is True and result["records"] == 5

    await tamper(
        admin_url,
        "UPDATE audit_log SET actor_username = 'someone_else' WHERE tenant_id = $1 AND seq = 4",
        unit.id,
    )
    async with tenant_transaction(TenantContext.district(unit.id)):
        job = await service.enqueue("audit.verify_chain", unit.id, {}, key())
    # a broken chain is the job's finding, not a failure of the job
    assert await runner.run(unit.id, job.id) == "succeeded"
    result = (await load_job(unit.id, job.id)).result
    assert result == {
        "ok": False, "records": 5, "last_seq": 5, "broken_seq": 4, "problem": "hash",
        "expected_seq": 4,
    }  # fmt: skip
