"""批量导入 — the two-step import of people or enterprises from a spreadsheet.

1. ``upload``: the file is stored encrypted in ``import_batches`` (it is personal data) and a
   ``registry.validate_import`` job checks every row: the registry's own validators, the same
   document twice in the file, a document this district already holds. The report lists every
   bad row (row number as in the spreadsheet, column, reason) and every row already registered.
2. ``confirm``: only a batch without errors can be confirmed (warnings — a bank account failing
   the Luhn check — need an explicit "I have checked"). A ``registry.run_import`` job then checks
   the file again (the registry may have changed meanwhile) and registers every new row through
   :func:`renshe.registry.people.register_person` — in the job's single transaction, so the
   import is all-or-nothing: a killed job leaves nothing behind and its retry starts afresh.

Rows whose document is already registered in the district are **skipped and reported** ("already
registered"), never registered twice: importing the same file again imports nobody, and a file
that mixes new and known people needs no editing. Once imported, the stored file is dropped.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe.audit import service as audit
from renshe.db.tenant import current_transaction
from renshe.errors import Conflict, NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.jobs import service as jobs
from renshe.jobs.runner import JobRun
from renshe.registry import enterprises, people
from renshe.registry.identifiers.model import today_in_shanghai
from renshe.registry.imports import reader
from renshe.registry.imports.columns import looks_like_header
from renshe.registry.imports.validate import Report, check_sheet, mark_registered
from renshe.registry.model import DuplicateRecord, EnterpriseInput, FieldErrors, PersonInput
from renshe.registry.sealing import seal, unseal

KINDS = ("people", "enterprises")
VALIDATE_KIND = "registry.validate_import"
RUN_KIND = "registry.run_import"
TABLE, FILE_COLUMN = "import_batches", "file"
FINAL = frozenset({"invalid", "valid", "imported", "failed"})
PROGRESS_EVERY = 250

NO_SUCH_BATCH = lazy("No such import.")
UNKNOWN_KIND = lazy("Choose what the file contains: people or enterprises.")
NOT_READY = lazy("This import cannot be confirmed: the file has errors or has not been checked yet.")
CONFIRM_IMPORT_WARNINGS = lazy("Confirm that you have checked the warnings before importing.")
CHANGED_SINCE_CHECK = lazy(
    "The registry changed after the file was checked and some rows are no longer valid. "
    "Nothing was imported; see the report."
)

_COLUMNS = """tenant_id, id, number, kind, filename, file_format, file_size, status, row_count, error_count,
  duplicate_count, imported_count, report, validate_job_id, import_job_id, created_by, created_at,
  updated_at"""


@dataclass(frozen=True, slots=True)
class Batch:
    tenant_id: UUID
    id: UUID
    number: str  # DR440703-2026-000007, handed out by the database (renshe.numbering)
    kind: str
    filename: str
    file_format: str
    file_size: int
    status: str
    row_count: int
    error_count: int
    duplicate_count: int
    imported_count: int
    report: dict[str, Any] | None
    validate_job_id: UUID | None
    import_job_id: UUID | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Batch:
        data = dict(row)
        if isinstance(data["report"], str):
            data["report"] = json.loads(data["report"])
        return cls(**data)

    @property
    def warnings(self) -> list[dict[str, Any]]:
        return list((self.report or {}).get("warnings", []))

    @property
    def to_import(self) -> int:
        return max(self.row_count - self.error_count - self.duplicate_count, 0)


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


def _safe_filename(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:200] or "upload"


async def upload(tenant_id: UUID, actor: audit.Actor, kind: str, filename: str, data: bytes) -> Batch:
    """Store the file (encrypted) and start its validation job (inside the open transaction)."""
    if kind not in KINDS:
        raise ValidationFailed({"kind": UNKNOWN_KIND}, UNKNOWN_KIND)
    reader.check_size(data)
    file_format = reader.detect_format(filename, data)
    # a zip bomb or a file in no known encoding is refused now, before it is stored
    await asyncio.to_thread(reader.preflight, file_format, data)
    batch_id = uuid.uuid4()
    sealed = seal(TABLE, FILE_COLUMN, tenant_id, batch_id, base64.b64encode(data).decode())
    await _conn().execute(
        """INSERT INTO import_batches (tenant_id, id, kind, filename, file_format, file_size, file_sha256,
                                       file_enc, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        tenant_id,
        batch_id,
        kind,
        _safe_filename(filename),
        file_format,
        len(data),
        hashlib.sha256(data).digest(),
        sealed,
        actor.user_id,
    )
    job = await jobs.enqueue(
        VALIDATE_KIND,
        tenant_id,
        {"batch_id": str(batch_id)},
        f"{VALIDATE_KIND}:{batch_id}",
        requested_by=actor.user_id,
    )
    await _conn().execute(
        "UPDATE import_batches SET validate_job_id = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        batch_id,
        job.id,
    )
    await audit.record(
        tenant_id,
        actor,
        "registry.import_uploaded",
        object_type="import_batch",
        object_id=batch_id,
        after={"kind": kind, "format": file_format, "bytes": len(data)},
    )
    return await get_batch(batch_id, [tenant_id])


async def get_batch(
    batch_id: UUID, tenant_ids: Collection[UUID] | None = None, *, for_update: bool = False
) -> Batch:
    lock = " FOR UPDATE" if for_update else ""
    row = await _conn().fetchrow(
        f"""SELECT {_COLUMNS} FROM import_batches
            WHERE id = $1 AND ($2::uuid[] IS NULL OR tenant_id = ANY($2::uuid[])){lock}""",
        batch_id,
        None if tenant_ids is None else list(tenant_ids),
    )
    if row is None:
        raise NotFound(NO_SUCH_BATCH)
    return Batch.from_row(row)


async def list_batches(tenant_ids: Collection[UUID], limit: int = 20) -> list[Batch]:
    rows = await _conn().fetch(
        f"""SELECT {_COLUMNS} FROM import_batches WHERE tenant_id = ANY($1::uuid[])
            ORDER BY created_at DESC, id DESC LIMIT $2""",
        list(tenant_ids),
        limit,
    )
    return [Batch.from_row(r) for r in rows]


async def confirm(tenant_id: UUID, actor: audit.Actor, batch_id: UUID, *, confirm_warnings: bool) -> Batch:
    """Start the import of a clean, checked file (a second confirm returns the same job)."""
    batch = await get_batch(batch_id, [tenant_id], for_update=True)
    if batch.status in ("importing", "imported"):
        return batch
    if batch.status != "valid":
        raise Conflict(NOT_READY)
    if batch.warnings and not confirm_warnings:
        raise FieldErrors({"confirm_warnings": CONFIRM_IMPORT_WARNINGS})
    args = {
        "batch_id": str(batch_id),
        "user_id": str(actor.user_id) if actor.user_id else None,
        "username": actor.username,
        "role": actor.role,
        "request_id": actor.request_id,
    }
    job = await jobs.enqueue(RUN_KIND, tenant_id, args, f"{RUN_KIND}:{batch_id}", requested_by=actor.user_id)
    await _conn().execute(
        """UPDATE import_batches SET status = 'importing', import_job_id = $3, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant_id,
        batch_id,
        job.id,
    )
    await audit.record(
        tenant_id,
        actor,
        "registry.import_confirmed",
        object_type="import_batch",
        object_id=batch_id,
        after={"rows": batch.to_import},
    )
    return await get_batch(batch_id, [tenant_id])


# ---------------------------------------------------------------- the jobs


async def _read_and_check(run: JobRun, batch: Batch, stored: str | None, today: date) -> Report:
    if stored is None:
        raise NotFound(NO_SUCH_BATCH)
    data = base64.b64decode(unseal(TABLE, FILE_COLUMN, run.tenant_id, batch.id, stored))
    sheet = await asyncio.to_thread(reader.read_sheet, batch.file_format, data, looks_like_header(batch.kind))
    report = await check_sheet(batch.kind, sheet, today, run.progress)
    await mark_registered(batch.kind, run.tenant_id, report)
    return report


async def _store_report(batch: Batch, status: str, report: dict[str, Any], imported: int = 0) -> None:
    await _conn().execute(
        """UPDATE import_batches SET status = $3, report = $4::jsonb, row_count = $5, error_count = $6,
                  duplicate_count = $7, imported_count = $8, updated_at = now(),
                  file_enc = CASE WHEN $3 = 'imported' THEN NULL ELSE file_enc END
           WHERE tenant_id = $1 AND id = $2""",
        batch.tenant_id,
        batch.id,
        status,
        json.dumps(report, ensure_ascii=False),
        report.get("rows", 0),
        report.get("error_rows", 0),
        len(report.get("registered", [])),
        imported,
    )


def _file_report(exc: reader.FileProblem) -> dict[str, Any]:
    return {
        "rows": 0,
        "error_rows": 0,
        "errors": [],
        "warnings": [],
        "registered": [],
        "file_error": exc.message,
        "file_params": dict(exc.params),
    }


async def stored_file(batch: Batch) -> str | None:
    stored: str | None = await _conn().fetchval(
        "SELECT file_enc FROM import_batches WHERE tenant_id = $1 AND id = $2", batch.tenant_id, batch.id
    )
    return stored


async def validate_job(run: JobRun) -> dict[str, Any]:
    """``registry.validate_import``: check every row and store the report (idempotent)."""
    batch = await get_batch(UUID(run.args["batch_id"]), [run.tenant_id], for_update=True)
    if batch.status in FINAL or batch.status == "importing":
        return {"status": batch.status}
    try:
        report = await _read_and_check(run, batch, await stored_file(batch), today_in_shanghai())
    except reader.FileProblem as exc:
        await _store_report(batch, "invalid", _file_report(exc))
        return {"status": "invalid", "file_error": exc.message}
    status = "invalid" if report.errors else "valid"
    await _store_report(batch, status, report.as_json())
    return {
        "status": status,
        "rows": report.rows,
        "error_rows": report.error_rows,
        "already_registered": len(report.registered),
        "to_import": len(report.good),
    }


def _actor(args: dict[str, Any]) -> audit.Actor:
    user = args.get("user_id")
    return audit.Actor(
        UUID(user) if user else None, args.get("username"), args.get("role"), args.get("request_id")
    )


async def import_job(run: JobRun) -> dict[str, Any]:
    """``registry.run_import``: register every new row, all in this job's one transaction."""
    batch = await get_batch(UUID(run.args["batch_id"]), [run.tenant_id], for_update=True)
    if batch.status == "imported":
        return {"status": "imported", "imported": batch.imported_count}
    if batch.status != "importing":
        return {"status": batch.status, "imported": 0}
    try:
        report = await _read_and_check(run, batch, await stored_file(batch), today_in_shanghai())
    except reader.FileProblem as exc:
        await _store_report(batch, "invalid", _file_report(exc))
        return {"status": "invalid", "imported": 0}
    if report.errors:
        await _store_report(batch, "invalid", report.as_json() | {"changed_since_check": CHANGED_SINCE_CHECK})
        return {"status": "invalid", "imported": 0}
    actor = _actor(run.args)
    total = len(report.good)
    await run.progress(0, total)
    imported = 0
    for done, checked in enumerate(report.good, start=1):
        try:
            if isinstance(checked.data, PersonInput):
                await people.register_person(
                    run.tenant_id, actor, replace(checked.data, confirm_warnings=True)
                )
            else:
                assert isinstance(checked.data, EnterpriseInput)
                await enterprises.register_enterprise(
                    run.tenant_id, actor, replace(checked.data, confirm_warnings=True)
                )
            imported += 1
        except DuplicateRecord as exc:  # registered by someone else since the check: skipped
            report.registered.append({"row": checked.row, "id": str(exc.existing_id)})
        if done % PROGRESS_EVERY == 0 or done == total:
            await run.progress(done, total)
    summary = report.as_json()
    await _store_report(batch, "imported", summary, imported)
    await audit.record(
        run.tenant_id,
        actor,
        "registry.import_completed",
        object_type="import_batch",
        object_id=batch.id,
        after={"kind": batch.kind, "imported": imported, "already_registered": len(report.registered)},
    )
    return {"status": "imported", "imported": imported, "already_registered": len(report.registered)}
