"""Reconciliation (对账): applying the bank's return file to an exported batch.

The upload is recorded in ``bank_returns``, unique per (batch, file SHA-256): the same file
uploaded again is recognised and applies nothing. Matched lines are applied — success: line
``paid``, award ``paid``, budget reserved → paid; failure: line ``failed`` with the bank's reason,
award ``payment_failed`` (the clerk fixes the account, the award becomes ``ready`` again and the
next batch pays it as a follow-up of the failed line). Unreadable, unmatched, duplicated or
amount-mismatched return lines are stored as errors and never applied. A batch whose lines are all
resolved becomes ``reconciled``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from renshe import clock, offload
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.disbursement import returns
from renshe.disbursement.bankfiles import sha256_of
from renshe.disbursement.returns import (
    Match,
    ParsedReturn,
    ProblemKind,
    ReturnProblem,
    ReturnStatus,
    match_returns,
    parse_return,
)
from renshe.disbursement.service import add_events, get_batch
from renshe.errors import Conflict
from renshe.i18n import lazy
from renshe.registry import citywide
from renshe.registry.masking import mask_in_text

SHANGHAI = ZoneInfo("Asia/Shanghai")

BATCH = "disbursement_batch"
RECONCILABLE = frozenset({"exported", "reconciled"})
MAX_RETURN_BYTES = returns.MAX_RETURN_BYTES


@dataclass(frozen=True, slots=True)
class _Line:
    id: UUID
    application_id: UUID
    reference: str
    amount_fen: int
    state: str
    program_code: str
    budget_year: int | None
    person_id: UUID | None  # None: an enterprise's award
    payee_name: str | None


@dataclass(slots=True)
class Reconciliation:
    return_id: UUID
    already_uploaded: bool
    paid: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    batch_state: str = ""

    @property
    def applied(self) -> int:
        return self.paid + self.failed


def _error(problem: ReturnProblem) -> dict[str, Any]:
    return {
        "row": problem.row,
        "kind": str(problem.kind),
        "reference": problem.reference,
        "message": problem.message,
        # a quoted cell (an unknown status, a bad amount) may hold an account or a mobile
        "params": {k: mask_in_text(str(v)) for k, v in problem.params.items()},
    }


def _read_and_assess(
    content: bytes, filename: str, lines: list[_Line]
) -> tuple[list[Match[_Line]], list[dict[str, Any]]]:
    """Read a return file and match it with the batch's lines: pure CPU (a 20,000-row return is
    a second or more of it), run in a pool process."""
    return _assess(lines, parse_return(content, filename))


def _assess(lines: list[_Line], parsed: ParsedReturn) -> tuple[list[Match[_Line]], list[dict[str, Any]]]:
    """The matches and every error of a parsed return."""
    matched, problems = match_returns(lines, parsed.lines)
    return matched, [_error(p) for p in [*parsed.problems, *problems]]


async def _lines(tenant_id: UUID, batch_id: UUID) -> list[_Line]:
    rows = await current_transaction().connection.fetch(
        """SELECT l.id, l.application_id, l.reference, l.amount_fen, l.state, a.program_code, a.budget_year,
                  a.person_id, l.payee_name
           FROM payment_lines l JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id
           WHERE l.tenant_id = $1 AND l.batch_id = $2 AND l.state <> 'cancelled'
           ORDER BY l.seq FOR UPDATE OF l""",
        tenant_id,
        batch_id,
    )
    return [_Line(**dict(r)) for r in rows]


async def upload_return(
    tenant_id: UUID, actor: audit.Actor, batch_id: UUID, filename: str, content: bytes
) -> Reconciliation:
    assert actor.user_id is not None
    if len(content) > MAX_RETURN_BYTES:
        raise Conflict(lazy("The return file is larger than 10 MB."))
    batch = await get_batch(tenant_id, batch_id, lock=True)
    if batch.state not in RECONCILABLE:
        raise Conflict(lazy("A return file can only be uploaded for an exported batch."))
    conn = current_transaction().connection
    digest = sha256_of(content)
    return_id = await conn.fetchval(
        """INSERT INTO bank_returns (tenant_id, batch_id, filename, file_sha256, uploaded_by, uploaded_at)
           VALUES ($1, $2, $3, $4, $5, coalesce($6, now()))
           ON CONFLICT (tenant_id, batch_id, file_sha256) DO NOTHING RETURNING id""",
        batch.tenant_id, batch.id, filename[:255], digest, actor.user_id, clock.record_time(),
    )  # fmt: skip
    if return_id is None:  # the same file again: recognised, nothing applied
        existing = await conn.fetchrow(
            "SELECT id, errors FROM bank_returns WHERE tenant_id = $1 AND batch_id = $2 AND file_sha256 = $3",
            batch.tenant_id,
            batch.id,
            digest,
        )
        errors = existing["errors"]
        return Reconciliation(
            existing["id"], True, errors=json.loads(errors) if isinstance(errors, str) else errors,
            batch_state=batch.state,
        )  # fmt: skip
    # reading a spreadsheet and matching 20,000 rows is seconds of CPU: in a pool process, so the
    # event loop keeps answering (a thread would share its GIL). One call, so that only the
    # batch's lines go there and only the matches and plain error dicts come back: 20,000 parsed
    # rows crossing by pickle were themselves a tenth of a second of the web process's GIL.
    # (The batch row is locked since get_batch above, so locking its lines first costs nothing.)
    lines = await _lines(batch.tenant_id, batch.id)
    matched, errors = await offload.run(_read_and_assess, content, filename, lines)
    result = Reconciliation(return_id, False)
    result.errors = errors

    paid: list[_Line] = []
    failed: list[tuple[_Line, str]] = []
    for match in matched:
        line, returned = match.expected, match.returned
        if returned.status is ReturnStatus.PENDING:
            continue
        wanted = "paid" if returned.status is ReturnStatus.SUCCEEDED else "failed"
        if line.state == wanted:
            continue  # already applied by an earlier (different) file saying the same
        if line.state != "pending":
            result.errors.append({
                "row": returned.row, "kind": "already_resolved", "reference": line.reference,
                "message": "Row %(row)s: line %(reference)s was already resolved as %(state)s; not changed.",
                "params": {"row": str(returned.row), "reference": line.reference, "state": line.state},
            })  # fmt: skip
            continue
        if wanted == "paid":
            paid.append(line)
        else:
            # the bank's reason often quotes the payee's name, account or ID: stored and shown masked
            failed.append((line, mask_in_text(returned.reason or "失败", [line.payee_name or ""])))

    await _apply_paid(batch.tenant_id, actor, paid)
    await _apply_failed(batch.tenant_id, actor, failed)
    result.paid, result.failed = len(paid), len(failed)

    unresolved = await conn.fetchval(
        "SELECT count(*) FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2 AND state = 'pending'",
        batch.tenant_id,
        batch.id,
    )
    new_state = "reconciled" if unresolved == 0 else batch.state
    await conn.execute(
        """UPDATE disbursement_batches SET state = $3,
                  reconciled_at = CASE WHEN $3 = 'reconciled'
                                       THEN coalesce(reconciled_at, $4, now()) END,
                  version = version + 1, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        batch.tenant_id, batch.id, new_state, clock.record_time(),
    )  # fmt: skip
    # msgspec encodes 20,000 errors in milliseconds; json.dumps in a thread held the GIL ~50 ms
    stored = msgspec.json.encode(result.errors).decode()
    await conn.execute(
        "UPDATE bank_returns SET applied = $3, errors = $4::jsonb WHERE tenant_id = $1 AND id = $2",
        batch.tenant_id, return_id, result.applied, stored,
    )  # fmt: skip
    result.batch_state = new_state
    await audit.record(batch.tenant_id, actor, "disbursement.return_applied", object_type=BATCH,
                       object_id=batch.id, before={"state": batch.state},
                       after={"state": new_state, "file_sha256": digest, "paid": result.paid,
                              "failed": result.failed, "errors": len(result.errors)})  # fmt: skip
    return result


async def _apply_paid(tenant_id: UUID, actor: audit.Actor, lines: list[_Line]) -> None:
    if not lines:
        return
    conn = current_transaction().connection
    ids = [line.id for line in lines]
    apps = [line.application_id for line in lines]
    await conn.execute(
        """UPDATE payment_lines SET state = 'paid', resolved_at = coalesce($3, now())
           WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND state = 'pending'""",
        tenant_id,
        ids,
        clock.record_time(),  # the demo's history is paid in its own months (the rollups count by it)
    )
    await conn.execute(
        """UPDATE applications SET state = 'paid', version = version + 1, updated_at = coalesce($3, now())
           WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND state = 'in_batch'""",
        tenant_id,
        apps,
        clock.record_time(),
    )
    # the money reserved at approval is now paid (per program and budget year)
    moved: dict[tuple[str, int], int] = defaultdict(int)
    for line in lines:
        if line.budget_year is not None:
            moved[(line.program_code, line.budget_year)] += line.amount_fen
    for (program, year), fen in sorted(moved.items()):
        await conn.execute(
            """UPDATE budgets SET reserved_fen = reserved_fen - $4, paid_fen = paid_fen + $4,
                      updated_at = now()
               WHERE tenant_id = $1 AND program_code = $2 AND year = $3""",
            tenant_id, program, year, fen,
        )  # fmt: skip
    await add_events(tenant_id, apps, "in_batch", "paid", actor.user_id)
    # 全市一次性: the receipts city-wide, in this transaction (the award's claim was released by
    # the database when it became paid, so the person is never seen as free in between).
    receipts = [
        citywide.Receipt(line.person_id, line.program_code, str(line.application_id))
        for line in lines
        if line.person_id is not None
    ]
    await citywide.record_program_receipts(tenant_id, receipts, clock.today())


async def _apply_failed(tenant_id: UUID, actor: audit.Actor, lines: list[tuple[_Line, str]]) -> None:
    if not lines:
        return
    conn = current_transaction().connection
    await conn.executemany(
        """UPDATE payment_lines SET state = 'failed', bank_reason = $3, resolved_at = coalesce($4, now())
           WHERE tenant_id = $1 AND id = $2 AND state = 'pending'""",
        [(tenant_id, line.id, reason[:500], clock.record_time()) for line, reason in lines],
    )
    apps = [line.application_id for line, _ in lines]
    await conn.execute(
        """UPDATE applications SET state = 'payment_failed', version = version + 1,
                  updated_at = coalesce($3, now())
           WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND state = 'in_batch'""",
        tenant_id,
        apps,
        clock.record_time(),
    )
    await conn.executemany(
        """INSERT INTO application_events (tenant_id, application_id, actor_user_id, from_state,
                                           to_state, comment, at)
           VALUES ($1, $2, $3, 'in_batch', 'payment_failed', $4, coalesce($5, clock_timestamp()))""",
        [
            (tenant_id, line.application_id, actor.user_id, reason[:500], clock.record_time())
            for line, reason in lines
        ],
    )


__all__ = ["ProblemKind", "Reconciliation", "upload_return"]
