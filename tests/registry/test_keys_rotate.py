"""``renshe keys rotate``: after a new data key, every value sealed with the retired key is
re-encrypted by the ``registry.rotate_keys`` job, in batches, resumably; values still decrypt,
and once done the retired key can be dropped."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner
from renshe.jobs import service as jobs
from renshe.protection.keyring import keyring
from renshe.registry import enterprises, keys, people, unmask
from renshe.registry.model import BankInput, DocumentInput, EnterpriseInput, PersonInput
from renshe.registry.sealing import SEALED_COLUMNS
from renshe.settings import get_settings
from tests.registry.support import TESTER, credit_code, luhn_card, mobile, prc_id, superuser

OLD_KEY = "test-data-key-" + "y" * 40  # tests/conftest.py's RENSHE_DATA_KEY
NEW_KEY = "rotated-data-key-" + "n" * 40


def _use_keys(mp: pytest.MonkeyPatch, active: str, retired: str | None) -> None:
    mp.setenv("RENSHE_DATA_KEY", active)
    if retired is None:
        mp.delenv("RENSHE_DATA_KEYS_RETIRED", raising=False)
    else:
        mp.setenv("RENSHE_DATA_KEYS_RETIRED", retired)
    get_settings.cache_clear()
    keyring.cache_clear()


@pytest.fixture
def key_env() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp
    get_settings.cache_clear()
    keyring.cache_clear()
    assert get_settings().data_key == OLD_KEY


@pytest_asyncio.fixture(loop_scope="session")
async def district(db: None, admin_url: str) -> AsyncIterator[UUID]:
    """A scratch (inactive) district, so that rotating its values touches no other test's data."""
    code = f"48{secrets.randbelow(10_000):04d}"
    conn = await superuser(admin_url)
    try:
        unit: UUID = await conn.fetchval(
            "INSERT INTO org_units (key, code, kind, parent_id, name_zh, name_en, active)"
            " SELECT $1, $2, 'district', id, '轮换测试区', 'Rotation Test', false"
            " FROM org_units WHERE code = '440700' RETURNING id",
            f"rotation-{code}",
            code,
        )
    finally:
        await conn.close()
    yield unit
    conn = await superuser(admin_url)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            for table in ("person_documents", "persons", "enterprises", "audit_log", "jobs"):
                await conn.execute(f"DELETE FROM {table} WHERE tenant_id = $1", unit)
            await conn.execute("DELETE FROM org_units WHERE id = $1", unit)
    finally:
        await conn.close()


async def _populate(unit: UUID) -> dict[str, Any]:
    """People and an enterprise with every kind of sealed value; returns the clear values."""
    clear: dict[str, Any] = {"people": {}, "enterprise": None}
    async with tenant_transaction(TenantContext.district(unit)):
        for _ in range(3):
            number, phone, card = prc_id("440703"), mobile(), luhn_card()
            data = PersonInput(
                name="周慧敏",
                documents=[DocumentInput("prc_id", number)],
                mobile=phone,
                bank=BankInput(card, bank_name="建设银行"),
            )
            person = await people.register_person(unit, TESTER, data)
            clear["people"][person.id] = (number, phone, card)
        account = luhn_card("4402")
        company = await enterprises.register_enterprise(
            unit,
            TESTER,
            EnterpriseInput(
                name="轮换测试有限公司",
                uscc=credit_code(),
                legal_representative="周星",
                bank=BankInput(account),
            ),
        )
        clear["enterprise"] = (company.id, account)
    return clear


async def _key_ids(unit: UUID) -> set[str]:
    found: set[str] = set()
    async with tenant_transaction(TenantContext.district(unit)):
        conn = current_transaction().connection
        for col in SEALED_COLUMNS:
            rows = await conn.fetch(
                f"SELECT split_part({col.column}, ':', 1) AS kid FROM {col.table}"
                f" WHERE tenant_id = $1 AND {col.column} IS NOT NULL",
                unit,
            )
            found |= {r["kid"] for r in rows}
    return found


async def _assert_readable(unit: UUID, clear: dict[str, Any]) -> None:
    async with tenant_transaction(TenantContext.district(unit)):
        for person_id, (number, phone, card) in clear["people"].items():
            docs = await unmask.unmask_person(unit, TESTER, person_id, "documents", "核对密钥轮换")
            assert docs.documents[0].number == number
            assert (
                await unmask.unmask_person(unit, TESTER, person_id, "mobile", "核对密钥轮换")
            ).value == phone
            assert (
                await unmask.unmask_person(unit, TESTER, person_id, "bank_account", "核对密钥轮换")
            ).value == card
        company_id, account = clear["enterprise"]
        shown = await unmask.unmask_enterprise(unit, TESTER, company_id, "bank_account", "核对密钥轮换")
        assert shown.value == account


async def test_rotation_re_encrypts_everything_resumably(district: UUID, key_env: pytest.MonkeyPatch) -> None:
    clear = await _populate(district)
    old_id = keyring().active_id
    assert await _key_ids(district) == {old_id}

    _use_keys(key_env, NEW_KEY, OLD_KEY)
    new_id = keyring().active_id
    assert new_id != old_id
    await _assert_readable(district, clear)  # the retired key still reads everything

    # a first run killed after one batch of one document ...
    assert await keys.rotate_batch(district, SEALED_COLUMNS[2], limit=1) == 1
    assert await _key_ids(district) == {old_id, new_id}
    # ... and the command run again finishes the rest
    async with tenant_transaction(TenantContext.district(district)):
        remaining = await keys.stale_count(district, new_id)
        job = await keys.request_rotation(district)
        assert (await keys.request_rotation(district)).id == job.id  # an unfinished one is reused
    assert remaining == 3 * 3 + 1 - 1
    assert await runner.run(district, job.id) == "succeeded"
    async with tenant_transaction(TenantContext.district(district)):
        done = await jobs.get(district, job.id)
    assert done.result == {"re_encrypted": remaining, "key_id": new_id}
    assert done.progress_done == done.progress_total == remaining
    assert await _key_ids(district) == {new_id}
    await _assert_readable(district, clear)

    # idempotent: another run finds nothing to do
    async with tenant_transaction(TenantContext.district(district)):
        again = await keys.request_rotation(district)
    assert again.id != job.id
    assert await runner.run(district, again.id) == "succeeded"
    async with tenant_transaction(TenantContext.district(district)):
        assert (await jobs.get(district, again.id)).result == {"re_encrypted": 0, "key_id": new_id}

    # the retired key can now be dropped: everything still decrypts
    _use_keys(key_env, NEW_KEY, None)
    await _assert_readable(district, clear)
    async with tenant_transaction(TenantContext.district(district)):
        actions = await current_transaction().connection.fetch(
            "SELECT action FROM audit_log WHERE tenant_id = $1 AND action = 'registry.keys_rotated'", district
        )
    assert len(actions) == 2


def test_the_job_kind_is_registered() -> None:
    from renshe.jobs import kinds

    spec = kinds.require("registry.rotate_keys")
    assert spec.handler is keys.rotate_district and not spec.nightly


def test_the_command_runs_end_to_end(db: None) -> None:
    """``renshe keys rotate --now`` in its own process: a job per district, run at once. With the
    key unchanged there is nothing to re-encrypt, and running it twice is harmless."""
    import os
    import subprocess
    import sys

    command = [sys.executable, "-m", "renshe", "keys", "rotate", "--tenant", "440781", "--now"]
    for _ in range(2):
        done = subprocess.run(
            command, env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "440781: job " in done.stdout and done.stdout.rstrip().endswith("succeeded")
    refused = subprocess.run(
        [*command[:-3], "--tenant", "999999"],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode != 0 and "no active district" in refused.stderr
