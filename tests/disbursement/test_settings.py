"""The district's bank-file settings (tenants as code, ``[payer]``): ``max_lines_per_file`` splits
a night's batch, ``file_encoding`` is the generic CSV's encoding when none is asked for; bad values
are refused by the sync naming file, line and key."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
import pytest
import pytest_asyncio

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.disbursement import export, lifecycle
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import DEFAULT_MAX_LINES
from renshe.tenancy import service as tenancy
from renshe.tenancy.toml_files import read_directory
from tests.disbursement.awards import (
    batches_with_lines,
    district,
    live_lines_per_award,
    make_ready,
    make_user,
)

T = TypeVar("T")
pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]
ROOT = Path(__file__).resolve().parents[2]
HESHAN = "440784"  # generic_csv


@pytest_asyncio.fixture(loop_scope="session")
async def payer_settings(admin_url: str) -> AsyncIterator[Callable[[UUID, dict[str, Any]], Awaitable[None]]]:
    """Change a district's ``[payer]`` settings for one test, restored afterwards."""
    saved: dict[UUID, str] = {}
    conn = await asyncpg.connect(admin_url)

    async def change(tenant: UUID, values: dict[str, Any]) -> None:
        current = await conn.fetchval("SELECT settings::text FROM org_units WHERE id = $1", tenant)
        saved.setdefault(tenant, current)
        await conn.execute(
            "UPDATE org_units SET settings = jsonb_set(settings, '{payer}', settings->'payer' || $2::jsonb)"
            " WHERE id = $1",
            tenant, json.dumps(values),
        )  # fmt: skip

    try:
        yield change
    finally:
        for tenant, text in saved.items():
            await conn.execute("UPDATE org_units SET settings = $2::jsonb WHERE id = $1", tenant, text)
        await conn.close()


async def _in(tenant: UUID, actor: audit.Actor, work: Callable[[], Awaitable[T]]) -> T:
    async with tenant_transaction(TenantContext.district(tenant, actor.user_id)):
        return await work()


async def test_the_build_splits_batches_at_the_districts_max_lines_per_file(
    admin_url: str, payer_settings: Callable[[UUID, dict[str, Any]], Awaitable[None]]
) -> None:
    tenant = await district(HESHAN)
    await payer_settings(tenant, {"max_lines_per_file": 3})
    apps = await make_ready(admin_url, tenant, 7, amount_fen=10_000)
    result = await build(BuildRequest(tenant, date(2026, 6, 1), "nightly", f"nightly:{uuid.uuid4()}"))
    built = await batches_with_lines(tenant, result.batches)
    sizes = [len(lines) for _, lines in built]
    assert len(sizes) >= 3 and max(sizes) == 3 and all(s >= 1 for s in sizes)
    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}


async def test_generic_csv_uses_the_districts_encoding_and_keeps_the_recorded_file(
    admin_url: str, payer_settings: Callable[[UUID, dict[str, Any]], Awaitable[None]]
) -> None:
    tenant = await district(HESHAN)
    await payer_settings(tenant, {"file_encoding": "gbk"})
    checker = await make_user(admin_url, tenant)
    await make_ready(admin_url, tenant, 2, amount_fen=12_345)
    result = await build(BuildRequest(tenant, date(2026, 6, 2), "nightly", f"nightly:{uuid.uuid4()}"))
    batch_id = UUID(result.batches[0])
    await _in(tenant, checker, lambda: lifecycle.approve(tenant, checker, batch_id))

    done = await _in(tenant, checker, lambda: export.export_own_file(tenant, checker, batch_id))
    mine = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch_id))
    assert (done.outcome, mine.encoding, mine.sha256) == ("exported", "gbk", done.sha256)
    assert "收款人".encode("gbk") in mine.content and not mine.content.startswith(b"\xef\xbb\xbf")
    asked = await _in(
        tenant, checker, lambda: export.export_batch(tenant, checker, batch_id, encoding="utf-8")
    )
    assert asked.content.startswith(b"\xef\xbb\xbf") and asked.sha256 != done.sha256

    # the district switches to UTF-8 later: the batch's own file is still the one recorded
    await payer_settings(tenant, {"file_encoding": "utf-8"})
    again = await _in(tenant, checker, lambda: export.export_batch(tenant, checker, batch_id))
    assert (again.content, again.encoding) == (mine.content, "gbk")
    ((row, _),) = await batches_with_lines(tenant, [str(batch_id)])
    assert (row["state"], row["file_sha256"]) == ("exported", done.sha256)


@pytest.mark.parametrize(
    ("line", "key", "message"),
    [
        ("max_lines_per_file = 0", "payer.max_lines_per_file", "from 1 to 100000"),
        ('max_lines_per_file = "500"', "payer.max_lines_per_file", "whole number"),
        ("max_lines_per_file = 250000", "payer.max_lines_per_file", "from 1 to 100000"),
        ('file_encoding = "latin-1"', "payer.file_encoding", "utf-8, gbk"),
        ("file_encoding = 936", "payer.file_encoding", "utf-8, gbk"),
    ],
)
async def test_the_sync_refuses_bad_payer_settings_naming_file_line_and_key(
    tmp_path: Path, line: str, key: str, message: str
) -> None:
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    heshan = folder / "440784-heshan.toml"
    heshan.write_text(
        heshan.read_text(encoding="utf-8").replace("[payer]", f"[payer]\n{line}"), encoding="utf-8"
    )
    with pytest.raises(tenancy.TenantFilesInvalid) as caught:
        await tenancy.sync_directory(folder)
    (problem,) = caught.value.problems
    lines = heshan.read_text(encoding="utf-8").splitlines()
    assert (problem.file, problem.key) == ("440784-heshan.toml", key)
    assert lines[problem.line - 1] == line and message in problem.message
    assert str(problem).startswith(f"440784-heshan.toml:{problem.line}: {key}:")


async def test_the_documented_defaults_in_the_repository_tenants_are_valid() -> None:
    units, problems = read_directory(ROOT / "tenants")
    assert problems == []
    payer = {u.code: u for u in units}["440705"].settings["payer"]  # 新会区 documents both keys
    assert (payer["max_lines_per_file"], payer["file_encoding"]) == (DEFAULT_MAX_LINES, "utf-8")
