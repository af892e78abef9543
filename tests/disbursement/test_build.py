"""Building batches: every ready award in exactly one live line, envelope = lines, idempotent."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.build import BuildRequest, build
from tests.disbursement.awards import (
    batches_with_lines,
    district,
    live_lines_per_award,
    make_ready,
    states,
)

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.usefixtures("db")]


def nightly(tenant: uuid.UUID, day: date, max_lines: int = 5_000, chunk_lines: int = 500) -> BuildRequest:
    return BuildRequest(
        tenant, day, "nightly", f"nightly:{day.isoformat()}", max_lines=max_lines, chunk_lines=chunk_lines
    )


async def test_every_ready_award_lands_in_exactly_one_line_and_parts_respect_the_maximum(
    admin_url: str,
) -> None:
    tenant = await district("440784")
    apps = await make_ready(admin_url, tenant, 23, amount_fen=12_345)
    progress: list[tuple[int, int | None]] = []

    async def record(done: int, total: int | None) -> None:
        progress.append((done, total))

    result = await build(nightly(tenant, date(2026, 3, 3), max_lines=10, chunk_lines=4), progress=record)

    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}
    assert await states(tenant, apps) == {"in_batch": 23}
    batches = await batches_with_lines(tenant, result.batches)
    assert [len(lines) for _, lines in batches] == [10, 10, 3]  # split at the maximum
    for batch, lines in batches:
        assert batch["state"] == "built" and batch["origin"] == "nightly" and batch["created_by"] is None
        assert batch["declared_count"] == len(lines)
        assert batch["declared_total_fen"] == sum(line["amount_fen"] for line in lines)
        payer_key = f"{batch['payer_account']}:{batch['layout']}:{batch['part']}"
        assert batch["build_key"] == f"nightly:2026-03-03:{payer_key}"
        assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert sum(b["declared_total_fen"] for b, _ in batches) == 23 * 12_345
    assert progress[0] == (0, 23) and progress[-1] == (23, 23)


async def test_building_the_same_date_twice_adds_nothing(admin_url: str) -> None:
    tenant = await district("440784")
    apps = await make_ready(admin_url, tenant, 7)
    day = date(2026, 3, 4)
    first = await build(nightly(tenant, day))
    second = await build(nightly(tenant, day))
    assert first.lines_added >= 7 and second.lines_added == 0
    assert second.batches == first.batches  # the same batches, found by their build key
    assert await live_lines_per_award(tenant, apps) == {a: 1 for a in apps}


async def test_nothing_ready_builds_no_batch() -> None:
    tenant = await district("440785")
    async with tenant_transaction(TenantContext.district(tenant)):
        before = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM disbursement_batches WHERE tenant_id = $1", tenant
        )
    result = await build(nightly(tenant, date(2000, 1, 1)))  # nothing was ready in 2000
    assert result.batches == [] and result.lines_added == 0
    async with tenant_transaction(TenantContext.district(tenant)):
        after = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM disbursement_batches WHERE tenant_id = $1", tenant
        )
    assert after == before


async def test_the_database_refuses_a_second_live_line_for_an_award(admin_url: str) -> None:
    tenant = await district("440784")
    apps = await make_ready(admin_url, tenant, 1)
    result = await build(nightly(tenant, date(2026, 3, 5)))
    (batch, lines), *_ = await batches_with_lines(tenant, result.batches)
    line = next(x for x in lines if x["application_id"] == apps[0])
    conn = await asyncpg.connect(admin_url)  # even a superuser bypassing every service check
    try:
        with pytest.raises(asyncpg.UniqueViolationError, match="payment_lines_one_live_per_award"):
            await conn.execute(
                """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference, amount_fen,
                          payee_name, payee_account_enc, payee_account_masked)
                   SELECT tenant_id, batch_id, application_id, 99999, 'DOUBLE-1', amount_fen, payee_name,
                          payee_account_enc, payee_account_masked
                   FROM payment_lines WHERE tenant_id = $1 AND id = $2""",
                tenant,
                line["id"],
            )
    finally:
        await conn.close()
    assert batch["declared_count"] == len(lines)
