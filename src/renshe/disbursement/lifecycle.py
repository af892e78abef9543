"""Batch approval and cancellation (审批、作废), inside the caller's tenant transaction.

Approval is maker-checker: the finance officer who asked for a batch ("build now") cannot approve
it; nightly batches are created by the system (``created_by`` NULL), so any finance officer of the
district may. The database CHECK ``batches_maker_checker`` enforces the same rule.
Approval also enqueues the batch's export job (``disbursement.export_batch``, sent after commit).
Cancelling releases the batch's awards back to ``ready`` and its lines become ``cancelled`` (no
longer live, so the next batch may pay those awards).
"""

from __future__ import annotations

from uuid import UUID

import asyncpg

from renshe import clock
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.disbursement.export_job import request_export
from renshe.disbursement.service import Batch, add_events, get_batch
from renshe.errors import Conflict, Forbidden
from renshe.i18n import lazy

CANCELLABLE = frozenset({"built", "approved"})
BATCH = "disbursement_batch"


def _check_version(batch: Batch, version: int | None) -> None:
    if version is not None and version != batch.version:
        raise Conflict(lazy("This batch was changed by someone else meanwhile: reload it and try again."))


async def approve(tenant_id: UUID, actor: audit.Actor, batch_id: UUID, version: int | None = None) -> Batch:
    assert actor.user_id is not None
    batch = await get_batch(tenant_id, batch_id, lock=True)
    _check_version(batch, version)
    if batch.state != "built":
        raise Conflict(lazy("Only a built batch awaiting approval can be approved."))
    if batch.created_by == actor.user_id:
        raise Forbidden(lazy("You asked for this batch, so someone else in finance must approve it."))
    try:
        await current_transaction().connection.execute(
            """UPDATE disbursement_batches SET state = 'approved', approved_by = $3,
                      approved_at = coalesce($4, now()),
                      version = version + 1, updated_at = now()
               WHERE tenant_id = $1 AND id = $2""",
            batch.tenant_id,
            batch.id,
            actor.user_id,
            clock.record_time(),
        )
    except asyncpg.CheckViolationError as refused:
        if refused.constraint_name != "batches_maker_checker":
            raise  # the state machine (0013) refused: a bug here, never the user's doing
        raise Forbidden(
            lazy("You asked for this batch, so someone else in finance must approve it.")
        ) from None
    await audit.record(batch.tenant_id, actor, "disbursement.batch_approved", object_type=BATCH,
                       object_id=batch.id, before={"state": batch.state},
                       after={"state": "approved"})  # fmt: skip
    approved = await get_batch(batch.tenant_id, batch.id)
    await request_export(approved, actor.user_id)
    return approved


async def cancel(
    tenant_id: UUID, actor: audit.Actor, batch_id: UUID, version: int | None = None, reason: str = ""
) -> Batch:
    batch = await get_batch(tenant_id, batch_id, lock=True)
    _check_version(batch, version)
    if batch.state not in CANCELLABLE:
        raise Conflict(lazy("Only a batch that is built or approved (not yet exported) can be cancelled."))
    conn = current_transaction().connection
    released = await conn.fetch(
        """UPDATE payment_lines SET state = 'cancelled', resolved_at = now()
           WHERE tenant_id = $1 AND batch_id = $2 AND state = 'pending' RETURNING application_id""",
        batch.tenant_id,
        batch.id,
    )
    app_ids = [r["application_id"] for r in released]
    await conn.execute(
        """UPDATE applications SET state = 'ready', version = version + 1, updated_at = now()
           WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND state = 'in_batch'""",
        batch.tenant_id,
        app_ids,
    )
    await add_events(batch.tenant_id, app_ids, "in_batch", "ready", actor.user_id, reason or None)
    await conn.execute(
        """UPDATE disbursement_batches SET state = 'cancelled', version = version + 1, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        batch.tenant_id,
        batch.id,
    )
    await audit.record(batch.tenant_id, actor, "disbursement.batch_cancelled", object_type=BATCH,
                       object_id=batch.id, before={"state": batch.state},
                       after={"state": "cancelled", "released": len(app_ids), "reason": reason})  # fmt: skip
    return await get_batch(batch.tenant_id, batch.id)
