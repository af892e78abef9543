"""What the finance pages read about batches (批次查询): a filtered, paged list; a batch's lines
page by page; its envelope against its lines; its uploaded return files and their errors; how far
a batch being built has come.

Read-only, inside the caller's open tenant transaction (row-level security hides other districts);
payee names are masked here, so no page or export ever holds a clear name or account.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from renshe.accounts.display import ActorName, actor_name
from renshe.db.tenant import current_transaction
from renshe.disbursement.service import BATCH_COLUMNS, KIND, Batch
from renshe.jobs.service import rate_of
from renshe.registry.masking import mask_in_text, mask_name

BATCH_STATES = ("building", "built", "approved", "exported", "reconciled", "closed", "cancelled")
LINE_STATES = ("pending", "paid", "failed", "cancelled")
BATCH_PAGE_SIZE = 50
LINE_PAGE_SIZE = 100
EXPORT_CAP = 50_000


@dataclass(frozen=True, slots=True)
class BatchFilter:
    state: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    with_failures: bool = False  # reconciled batches whose bank refused some lines
    number: str | None = None  # the batch number (批次号), exact, upper case


@dataclass(frozen=True, slots=True)
class BatchRow:
    batch: Batch
    created_by_name: ActorName | None  # None: built by the nightly run
    failed_lines: int


@dataclass(frozen=True, slots=True)
class Paged:
    items: list[Any]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True, slots=True)
class Envelope:
    """The declared count/total (信封) against the sum of the lines that are in the file."""

    declared_count: int | None
    declared_total_fen: int | None
    line_count: int
    line_total_fen: int
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def matches(self) -> bool:
        return (self.declared_count, self.declared_total_fen) == (self.line_count, self.line_total_fen)


def _where(tenant_id: UUID, f: BatchFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = ["b.tenant_id = $1"]
    args: list[Any] = [tenant_id]
    if f.state:
        args.append(f.state)
        clauses.append(f"b.state = ${len(args)}")
    if f.date_from:
        args.append(f.date_from)
        clauses.append(f"b.business_date >= ${len(args)}")
    if f.date_to:
        args.append(f.date_to)
        clauses.append(f"b.business_date <= ${len(args)}")
    if f.number:
        args.append(f.number)
        clauses.append(f"b.number = ${len(args)}")
    if f.with_failures:
        clauses.append(
            "EXISTS (SELECT 1 FROM payment_lines f WHERE f.tenant_id = b.tenant_id"
            " AND f.batch_id = b.id AND f.state = 'failed')"
        )
    return " AND ".join(clauses), args


_ROW_SELECT = ", ".join(f"b.{c.strip()}" for c in BATCH_COLUMNS.split(","))


async def batch_page(tenant_id: UUID, f: BatchFilter, page: int, size: int = BATCH_PAGE_SIZE) -> Paged:
    where, args = _where(tenant_id, f)
    conn = current_transaction().connection
    total = await conn.fetchval(f"SELECT count(*) FROM disbursement_batches b WHERE {where}", *args)
    rows = await _batch_rows(where, args, size, (page - 1) * size)
    return Paged(rows, total, page, size)


async def all_batches(tenant_id: UUID, f: BatchFilter) -> list[BatchRow]:
    where, args = _where(tenant_id, f)
    return await _batch_rows(where, args, EXPORT_CAP, 0)


async def _batch_rows(where: str, args: list[Any], limit: int, offset: int) -> list[BatchRow]:
    rows = await current_transaction().connection.fetch(
        f"""SELECT {_ROW_SELECT}, b.created_by AS actor_user_id, u.username AS actor_username,
                   u.display_name AS actor_display_name, u.active AS actor_active,
                   (SELECT count(*) FROM payment_lines f WHERE f.tenant_id = b.tenant_id
                    AND f.batch_id = b.id AND f.state = 'failed') AS failed_lines
            FROM disbursement_batches b LEFT JOIN users u ON u.id = b.created_by
            WHERE {where}
            ORDER BY b.business_date DESC, b.created_at DESC, b.id
            LIMIT {int(limit)} OFFSET {int(offset)}""",
        *args,
    )
    out = []
    for r in rows:
        data = dict(r)
        name = actor_name(r) if r["created_by"] is not None else None
        for key in ("actor_user_id", "actor_username", "actor_display_name", "actor_active"):
            del data[key]
        failed = data.pop("failed_lines")
        out.append(BatchRow(Batch(**data), name, failed))
    return out


async def user_names(user_ids: Collection[UUID | None]) -> dict[UUID, ActorName]:
    """The users as pages name them (display name), in one query; a missing row is an unknown user."""
    wanted = sorted({u for u in user_ids if u is not None})
    if not wanted:
        return {}
    rows = await current_transaction().connection.fetch(
        """SELECT id AS actor_user_id, username AS actor_username,
                  display_name AS actor_display_name, active AS actor_active
           FROM users WHERE id = ANY($1::uuid[])""",
        wanted,
    )
    found = {r["actor_user_id"]: actor_name(r) for r in rows}
    return {u: found.get(u) or actor_name({"actor_user_id": u}) for u in wanted}


async def user_name(user_id: UUID | None) -> ActorName | None:
    """The user as pages name them (display name); None for no user (the nightly run)."""
    return (await user_names([user_id])).get(user_id) if user_id is not None else None


async def envelope(batch: Batch) -> Envelope:
    rows = await current_transaction().connection.fetch(
        """SELECT state, count(*) AS n, coalesce(sum(amount_fen), 0)::bigint AS fen FROM payment_lines
           WHERE tenant_id = $1 AND batch_id = $2 GROUP BY state""",
        batch.tenant_id,
        batch.id,
    )
    in_file = [r for r in rows if r["state"] != "cancelled"]
    return Envelope(
        declared_count=batch.declared_count,
        declared_total_fen=batch.declared_total_fen,
        line_count=sum(r["n"] for r in in_file),
        line_total_fen=sum(r["fen"] for r in in_file),
        by_state={r["state"]: r["n"] for r in rows},
    )


def _masked_line(row: Any) -> dict[str, Any]:
    data = dict(row)
    name = data.pop("payee_name") or ""
    data["payee_name_masked"] = mask_name(name)
    # masked when stored since reconcile did it; again here for reasons stored before that
    data["bank_reason"] = mask_in_text(data["bank_reason"], [name]) if data["bank_reason"] else None
    return data


_LINE_SELECT = """SELECT id, application_id, seq, reference, amount_fen, payee_name, payee_account_masked,
           payee_bank_name, state, bank_reason, follows_line_id, resolved_at
    FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2"""


async def line_page(batch: Batch, page: int, state: str | None = None, size: int = LINE_PAGE_SIZE) -> Paged:
    conn = current_transaction().connection
    state_clause = " AND state = $3" if state else ""
    args: list[Any] = [batch.tenant_id, batch.id, *([state] if state else [])]
    total = await conn.fetchval(
        f"SELECT count(*) FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2{state_clause}", *args
    )
    rows = await conn.fetch(
        f"{_LINE_SELECT}{state_clause} ORDER BY seq LIMIT {int(size)} OFFSET {int((page - 1) * size)}", *args
    )
    return Paged([_masked_line(r) for r in rows], total, page, size)


async def all_lines(batch: Batch, state: str | None = None) -> list[dict[str, Any]]:
    state_clause = " AND state = $3" if state else ""
    args: list[Any] = [batch.tenant_id, batch.id, *([state] if state else [])]
    rows = await current_transaction().connection.fetch(f"{_LINE_SELECT}{state_clause} ORDER BY seq", *args)
    return [_masked_line(r) for r in rows]


@dataclass(frozen=True, slots=True)
class ReturnUpload:
    """One uploaded bank return file (回盘文件) and the errors it was refused for."""

    id: UUID
    filename: str
    file_sha256: str
    uploaded_by_name: str | None
    uploaded_at: datetime
    applied: int
    errors: list[dict[str, Any]]


async def returns_of(batch: Batch) -> list[ReturnUpload]:
    rows = await current_transaction().connection.fetch(
        """SELECT r.id, r.filename, r.file_sha256, u.display_name AS uploaded_by_name, r.uploaded_at,
                  r.applied, r.errors
           FROM bank_returns r LEFT JOIN users u ON u.id = r.uploaded_by
           WHERE r.tenant_id = $1 AND r.batch_id = $2 ORDER BY r.uploaded_at DESC, r.id""",
        batch.tenant_id,
        batch.id,
    )
    out = []
    for r in rows:
        data = dict(r)
        if isinstance(data["errors"], str):
            data["errors"] = json.loads(data["errors"])
        out.append(ReturnUpload(**data))
    return out


@dataclass(frozen=True, slots=True)
class BuildProgress:
    """How far a batch being built (组批中) has come: its lines so far, and its job if found."""

    lines_so_far: int
    job_id: UUID | None
    job_done: int | None
    job_total: int | None
    job_rate: float | None = None  # rows per second


_JOB_PROGRESS = (
    "id, progress_done, progress_total, started_at, coalesce(finished_at, heartbeat_at) AS last_write"
)


async def build_progress(batch: Batch) -> BuildProgress:
    conn = current_transaction().connection
    lines = await conn.fetchval(
        "SELECT count(*) FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2", batch.tenant_id, batch.id
    )
    if batch.origin == "manual":  # build_key "manual:<id>:…" is the job's key "manual:<id>"
        key = ":".join(batch.build_key.split(":")[:2])
        job = await conn.fetchrow(
            f"""SELECT {_JOB_PROGRESS} FROM jobs
               WHERE tenant_id = $1 AND kind = $2 AND idempotency_key = $3""",
            batch.tenant_id, KIND, key,
        )  # fmt: skip
    else:
        job = await conn.fetchrow(
            f"""SELECT {_JOB_PROGRESS} FROM jobs
               WHERE tenant_id = $1 AND kind = $2 AND business_date = $3
               ORDER BY created_at DESC LIMIT 1""",
            batch.tenant_id, KIND, batch.business_date,
        )  # fmt: skip
    if job is None:
        return BuildProgress(lines, None, None, None)
    rate = rate_of(job["progress_done"], job["started_at"], job["last_write"])
    return BuildProgress(lines, job["id"], job["progress_done"], job["progress_total"], rate)
