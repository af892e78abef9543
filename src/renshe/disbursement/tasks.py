"""The ``disbursement.build_batches`` job (夜间组批): nightly per district, or "build now" by finance.

Nightly jobs come from the scheduler fan-out (key ``nightly:disbursement.build_batches:<date>``,
one per district per business date); "build now" uses the key ``manual:<uuid>``. The handler is
:func:`renshe.disbursement.build.build`, whose chunks run in short transactions detached from the
job's own, so a worker killed at any line leaves only whole chunks behind and the next attempt
continues from there.

Before building, the job closes the public notices of its district and business date (the same
idempotent step as ``subsidies.close_notices``): an award whose notice is over by that date is in
that night's batch whichever of the two nightly jobs runs first.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

from renshe import clock
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import CHUNK_LINES, KIND
from renshe.i18n import gettext, lazy
from renshe.jobs import service as jobs
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun, detached
from renshe.numbers import grouped, money
from renshe.settings import get_settings
from renshe.subsidies.applications import notice


def request_of(run: JobRun) -> BuildRequest:
    args = run.args
    raw_date = args.get("business_date")
    business_date = date.fromisoformat(raw_date) if raw_date else (run.business_date or clock.today())
    origin = args.get("origin", "nightly")
    if origin == "manual":
        stem = f"manual:{args['manual_id']}"
        created_by = UUID(args["created_by"]) if args.get("created_by") else None
    else:
        stem = f"nightly:{business_date.isoformat()}"
        created_by = None
    return BuildRequest(
        tenant_id=run.tenant_id,
        business_date=business_date,
        origin=origin,
        key_stem=stem,
        created_by=created_by,
        max_lines=int(args["max_lines"]) if args.get("max_lines") else None,
        chunk_lines=int(args.get("chunk_lines") or CHUNK_LINES),
        builders=get_settings().batch_builders,
    )


async def close_notices_first(tenant_id: UUID, business_date: date) -> int:
    """公示期满 before 组批, in its own short transaction. It waits for a ``subsidies.close_notices``
    job closing the same awards at this moment instead of passing them by, so the order of the
    two jobs does not depend on timing."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return await notice.close_notices(tenant_id, business_date, wait=True)


async def batch_facts(tenant_id: UUID, batch_ids: list[str]) -> tuple[list[str], int, int]:
    """The night's batches as its result tells them: their numbers (people say numbers, not ids)
    and the payments and fen they declare — whole batches, also after a resumed run whose own
    ``lines_added`` counts only what it added itself."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        rows = await current_transaction().connection.fetch(
            """SELECT number, declared_count, declared_total_fen FROM disbursement_batches
               WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY number""",
            tenant_id,
            [UUID(b) for b in batch_ids],
        )
    lines = sum(r["declared_count"] or 0 for r in rows)
    amount_fen = sum(r["declared_total_fen"] or 0 for r in rows)
    return [r["number"] for r in rows], lines, amount_fen


async def build_batches(run: JobRun) -> dict[str, Any]:
    request = request_of(run)
    closed = await detached(lambda: close_notices_first(request.tenant_id, request.business_date))
    result = await build(request, progress=run.progress, detach=detached)
    numbers, lines, amount_fen = await detached(lambda: batch_facts(request.tenant_id, result.batches))
    return {
        "batches": result.batches,
        "batch_numbers": numbers,
        "lines_added": result.lines_added,
        "lines": lines,
        "amount_fen": amount_fen,
        "notices_closed": closed,
    }


NOTHING_PAYABLE = lazy("No payable applications.")
BUILT_ONE = lazy("Built 1 batch, %(lines)s payments, %(amount)s in all.")
BUILT_MANY = lazy("Built %(count)s batches, %(lines)s payments, %(amount)s in all.")


def summary(result: dict[str, Any]) -> str:
    """已生成 2 个批次、共 1,204 笔、金额 ¥3,512,000.00 — or that nothing was due."""
    batches = len(result["batches"])
    if batches == 0:
        return gettext(NOTHING_PAYABLE)
    message = BUILT_ONE if batches == 1 else BUILT_MANY
    return gettext(message) % {
        "count": grouped(batches),
        "lines": grouped(int(result["lines"])),
        "amount": money(int(result["amount_fen"])),
    }


async def request_build(
    tenant_id: UUID,
    requested_by: UUID,
    business_date: date,
    *,
    max_lines: int | None = None,
) -> jobs.Job:
    """ "Build now" (立即组批) by a finance officer: a manual job inside the open transaction."""
    manual_id = str(uuid.uuid4())
    args: dict[str, Any] = {
        "origin": "manual",
        "manual_id": manual_id,
        "created_by": str(requested_by),
        "business_date": business_date.isoformat(),
    }
    if max_lines:
        args["max_lines"] = max_lines
    return await jobs.enqueue(
        KIND, tenant_id, args, f"manual:{manual_id}", requested_by=requested_by, business_date=business_date
    )


BUILD_BATCHES = register(
    JobKind(
        name=KIND,
        handler=build_batches,
        time_limit_seconds=2 * 60 * 60,
        max_attempts=10,  # every attempt resumes the last; a few crashes must not end the night
        nightly=True,
        title="Build disbursement batches",
        summary=summary,
    )
)
