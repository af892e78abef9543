"""The ``disbursement.export_batch`` job (生成代发文件): the first export of an approved batch.

:func:`renshe.disbursement.lifecycle.approve` enqueues it in the approval's own transaction (key
``export:<batch_id>``), so an approved batch always has its export coming. The handler's whole
effect — SHA-256 recorded, approved → exported, the audit record — commits with the job's
``succeeded`` mark in one transaction: a worker killed at any line leaves nothing behind and the
next attempt starts over; a run after success only re-verifies the recorded SHA-256.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from renshe.audit import service as audit
from renshe.disbursement.export import export_own_file
from renshe.disbursement.service import EXPORT_KIND, Batch
from renshe.i18n import gettext, lazy
from renshe.jobs import service as jobs
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun
from renshe.numbers import grouped


def export_key(batch_id: UUID) -> str:
    return f"export:{batch_id}"


async def request_export(batch: Batch, requested_by: UUID | None) -> jobs.Job:
    """Enqueue the export of ``batch`` inside the open transaction (sent after commit)."""
    args: dict[str, Any] = {"batch_id": str(batch.id)}
    if requested_by is not None:
        args["approved_by"] = str(requested_by)
    return await jobs.enqueue(
        EXPORT_KIND, batch.tenant_id, args, export_key(batch.id),
        requested_by=requested_by, business_date=batch.business_date, total=batch.declared_count,
    )  # fmt: skip


def _actor(approved_by: str | None) -> audit.Actor:
    """The system exports, on behalf of the approving finance officer when known."""
    if approved_by is None:
        return audit.SYSTEM
    return audit.Actor(UUID(approved_by), None, "finance")


async def export_batch(run: JobRun) -> dict[str, Any]:
    done = await export_own_file(
        run.tenant_id, _actor(run.args.get("approved_by")), UUID(run.args["batch_id"]), run.progress
    )
    return {
        "batch_id": run.args["batch_id"],
        "outcome": done.outcome,
        "sha256": done.sha256,
        "lines": done.lines,
    }


OUTCOMES = {
    "exported": lazy("The bank file is made: %(lines)s payments."),
    "verified": lazy("The bank file was made before; made again, it is unchanged (%(lines)s payments)."),
    "skipped": lazy("The batch was cancelled: no bank file was made."),
}


def summary(result: dict[str, Any]) -> str:
    return gettext(OUTCOMES[result["outcome"]]) % {"lines": grouped(int(result["lines"]))}


EXPORT_BATCH = register(
    JobKind(
        name=EXPORT_KIND,
        handler=export_batch,
        time_limit_seconds=30 * 60,
        max_attempts=10,  # each attempt starts over in one transaction; crashes must not end it
        title="Export a disbursement batch to its bank file",
        summary=summary,
    )
)
