"""The ``disbursement.build_batches`` job (夜间组批): nightly per district, or "build now" by finance.

Nightly jobs come from the scheduler fan-out (key ``nightly:disbursement.build_batches:<date>``,
one per district per business date); "build now" uses the key ``manual:<uuid>``. The handler is
:func:`renshe.disbursement.build.build`, whose chunks run in short transactions detached from the
job's own, so a worker killed at any line leaves only whole chunks behind and the next attempt
continues from there.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import DEFAULT_MAX_LINES, KIND
from renshe.jobs import service as jobs
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun, detached


def request_of(run: JobRun) -> BuildRequest:
    args = run.args
    raw_date = args.get("business_date")
    business_date = date.fromisoformat(raw_date) if raw_date else (run.business_date or date.today())
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
        max_lines=int(args.get("max_lines") or DEFAULT_MAX_LINES),
        chunk_lines=int(args.get("chunk_lines") or 500),
    )


async def build_batches(run: JobRun) -> dict[str, Any]:
    result = await build(request_of(run), progress=run.progress, detach=detached)
    return {"batches": result.batches, "lines_added": result.lines_added}


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
    )
)
