"""发放批次 (disbursement batches): what every batch module shares — the payer of a district, where
payee accounts are sealed, batch and line rows as services see them, and application events.

Every function here runs inside the caller's open tenant transaction (``current_transaction``)
and knows nothing of HTTP. The batch state machine:
``building → built → approved → exported → reconciled → closed``; ``cancelled`` from built or
approved releases the awards back to ``ready``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.db.tenant import current_transaction, within
from renshe.errors import Conflict, NotFound
from renshe.i18n import lazy
from renshe.protection.fields import Place, decrypt, encrypt

KIND = "disbursement.build_batches"
EXPORT_KIND = "disbursement.export_batch"
DEFAULT_MAX_LINES = 5_000  # per batch file, unless the district's [payer] max_lines_per_file says
CHUNK_LINES = 1_000  # lines per short build transaction (1,000 measured a fifth faster than 500)

APPLICATIONS = "applications"
PAYMENT_LINES = "payment_lines"
PAYEE_ACCOUNT = "payee_account"  # the Place column of ``payee_account_enc`` (registry convention)

LIVE_LINE_STATES = ("pending", "paid")


@dataclass(frozen=True, slots=True)
class Payer:
    """The district's paying account and bank-file layout (``org_units.settings['payer']``)."""

    bank: str
    account_name: str
    account_number: str
    file_layout: str
    max_lines_per_file: int = DEFAULT_MAX_LINES
    file_encoding: str | None = None  # generic CSV's encoding when none is asked for ("utf-8"/"gbk")


class NoPayer(Conflict):
    def __init__(self) -> None:
        super().__init__(lazy("This district has no payer account configured: no batch can be built."))


async def payer_of(tenant_id: UUID) -> Payer:
    settings = await current_transaction().connection.fetchval(
        "SELECT settings FROM org_units WHERE id = $1", tenant_id
    )
    if isinstance(settings, str):
        settings = json.loads(settings)
    payer = (settings or {}).get("payer") or {}
    try:
        return Payer(
            bank=str(payer["bank"]),
            account_name=str(payer["account_name"]),
            account_number=str(payer["account_number"]),
            file_layout=str(payer["file_layout"]),
            max_lines_per_file=int(payer.get("max_lines_per_file") or DEFAULT_MAX_LINES),
            file_encoding=str(payer["file_encoding"]) if payer.get("file_encoding") else None,
        )
    except KeyError:
        raise NoPayer() from None


# -- sealed payee accounts: bound to their row, re-sealed when copied onto a payment line ----------


def application_place(tenant_id: UUID, application_id: UUID) -> Place:
    return Place(APPLICATIONS, PAYEE_ACCOUNT, str(tenant_id), str(application_id))


def line_place(tenant_id: UUID, line_id: UUID) -> Place:
    return Place(PAYMENT_LINES, PAYEE_ACCOUNT, str(tenant_id), str(line_id))


def reseal_for_line(tenant_id: UUID, application_id: UUID, line_id: UUID, stored: str) -> str:
    """The application's sealed account, sealed again at the payment line's place (snapshot)."""
    clear = decrypt(stored, application_place(tenant_id, application_id))
    return encrypt(clear, line_place(tenant_id, line_id))


def line_account(tenant_id: UUID, line_id: UUID, stored: str) -> str:
    return decrypt(stored, line_place(tenant_id, line_id))


# -- rows ----------------------------------------------------------------------------------------

BATCH_COLUMNS = """tenant_id, id, number, build_key, business_date, origin, payer_account, payer_name,
    payer_bank, layout, part, state, declared_count, declared_total_fen, created_by, approved_by,
    approved_at, file_sha256, exported_at, reconciled_at, version, created_at, updated_at"""


@dataclass(frozen=True, slots=True)
class Batch:
    tenant_id: UUID
    id: UUID
    number: str  # PF440703-2026-000045, handed out by the database (renshe.numbering)
    build_key: str
    business_date: date
    origin: str
    payer_account: str
    payer_name: str
    payer_bank: str
    layout: str
    part: int
    state: str
    declared_count: int | None
    declared_total_fen: int | None
    created_by: UUID | None
    approved_by: UUID | None
    approved_at: datetime | None
    file_sha256: str | None
    exported_at: datetime | None
    reconciled_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Batch:
        return cls(**dict(row))

    @property
    def reference(self) -> str:
        """The batch's number (批次号) as people and the bank file say it."""
        return self.number


def short_id(batch_id: UUID) -> str:
    """The prefix of the batch's line references: fixed at the first export and echoed back by
    the bank, so it stays derived from the id (lines of batches exported before numbers existed
    must still match)."""
    return batch_id.hex[:12].upper()


def line_reference(batch_id: UUID, seq: int) -> str:
    return f"{short_id(batch_id)}-{seq:06d}"


async def get_batch(tenant_id: UUID, batch_id: UUID, *, lock: bool = False) -> Batch:
    """A batch of this district; another district's batch is :class:`NotFound` like a missing one."""
    row = await current_transaction().connection.fetchrow(
        f"SELECT {BATCH_COLUMNS} FROM disbursement_batches WHERE tenant_id = $1 AND id = $2"
        + (" FOR UPDATE" if lock else ""),
        tenant_id,
        batch_id,
    )
    if row is None:
        raise NotFound(lazy("No such disbursement batch."))
    return Batch.from_row(row)


async def list_batches(tenant_ids: frozenset[UUID], *, limit: int = 50) -> list[Batch]:
    unit_sql, unit_arg = within("tenant_id", tenant_ids)
    rows = await current_transaction().connection.fetch(
        f"""SELECT {BATCH_COLUMNS} FROM disbursement_batches WHERE {unit_sql}
            ORDER BY business_date DESC, created_at DESC, id LIMIT $2""",
        unit_arg,
        limit,
    )
    return [Batch.from_row(r) for r in rows]


async def batch_lines(tenant_id: UUID, batch_id: UUID) -> list[dict[str, Any]]:
    """The batch's lines in sequence order (no clear account: ``payee_account_masked`` only)."""
    rows = await current_transaction().connection.fetch(
        """SELECT id, application_id, seq, reference, amount_fen, payee_name, payee_account_masked,
                  payee_bank_name, state, bank_reason, follows_line_id, resolved_at
           FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2 ORDER BY seq""",
        tenant_id,
        batch_id,
    )
    return [dict(r) for r in rows]


async def add_events(  # noqa: PLR0917 - the event's columns, in their order
    tenant_id: UUID,
    application_ids: list[UUID],
    from_state: str,
    to_state: str,
    actor_user_id: UUID | None,
    comment: str | None = None,
) -> None:
    """One timeline event per application (the application page shows every payment attempt)."""
    if not application_ids:
        return
    await current_transaction().connection.execute(
        """INSERT INTO application_events (tenant_id, application_id, actor_user_id, from_state,
                                           to_state, comment, at)
           SELECT $1, a, $3, $4, $5, $6, coalesce($7::timestamptz, clock_timestamp())
           FROM unnest($2::uuid[]) AS a""",
        tenant_id,
        application_ids,
        actor_user_id,
        from_state,
        to_state,
        comment,
        clock.record_time(),  # the demo's business date; otherwise the database's clock
    )
