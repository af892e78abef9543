"""10,000 rows: the check and the import both run as jobs with progress to the last row.

(How fast is not asserted here: a timed test fails on a busy machine and proves nothing on an
idle one. Import throughput belongs in ``bench/``.)"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.registry.identifiers.resident_id import check_character
from tests.accounts.support import new_client, signed_in
from tests.jobs.support import load_job
from tests.registry.import_support import (
    confirm_and_import,
    count_people,
    csv_bytes,
    person_row,
    upload,
    validate,
)
from tests.registry.support import luhn_card, mobile, unit_id

ROWS = 10_000


@pytest_asyncio.fixture(loop_scope="session")
async def clerk(app: Any) -> Any:
    async with new_client(app) as c:
        await signed_in(c, "440785", Role.CLERK)
        yield c


def distinct_ids(count: int) -> list[str]:
    """``count`` different valid ID numbers of 恩平市 (one per birth date and sequence), born
    before the demo data's people (1958 on), so a demo-seeded district never holds one of them."""
    numbers = []
    start = date(1950, 1, 1)
    for i in range(count):
        first17 = f"440785{start + timedelta(days=i // 7):%Y%m%d}{(i % 7) * 11 + 501:03d}"
        numbers.append(first17 + check_character(first17))
    return numbers


async def test_ten_thousand_rows_validate_and_import_with_progress(clerk: Any) -> None:
    tenant = await unit_id("440785")
    rows = [
        person_row(
            "批量" + chr(0x4E00 + i % 400) + "明", "居民身份证", n, mobile(), **{"银行账号": luhn_card()}
        )
        for i, n in enumerate(distinct_ids(ROWS))
    ]
    before = await count_people(tenant)
    batch = await upload(clerk, csv_bytes(rows))
    checked = await validate(tenant, batch)
    assert checked["status"] == "valid", str(checked["report"])[:500]
    job = await load_job(tenant, checked["validate_job_id"])
    assert job.progress_total == ROWS and job.progress_done == ROWS
    done = await confirm_and_import(clerk, tenant, batch)
    assert done["imported_count"] == ROWS
    assert await count_people(tenant) == before + ROWS
    job = await load_job(tenant, done["import_job_id"])
    assert job.progress_done == job.progress_total == ROWS
