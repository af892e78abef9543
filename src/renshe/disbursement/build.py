"""Building batches (组批): a district's ``ready`` awards become payment lines, exactly once.

How it survives a worker killed at any line:

* each batch is created by ``INSERT … ON CONFLICT DO NOTHING`` on its ``build_key``
  (``nightly:<date>:<payer>:<layout>:<part>`` or ``manual:<id>:…``), so a re-run finds the batch
  it had started instead of making a second one;
* lines are added in chunks, each in its own short transaction that inserts the lines **and**
  flips their applications ``ready → in_batch``: a chunk is there entirely or not at all, and an
  award already in a line is no longer ``ready``;
* the database refuses a second live line for an award (``payment_lines_one_live_per_award``),
  whatever the code above does;
* a batch becomes ``built`` with its envelope (declared count and total) computed from its lines
  only when no ready award is left for it, so a re-run simply continues where the last one died.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.service import (
    CHUNK_LINES,
    DEFAULT_MAX_LINES,
    Payer,
    line_reference,
    payer_of,
    reseal_for_line,
)

Progress = Callable[[int, int | None], Awaitable[None]]
T = TypeVar("T")
Detach = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]

# Which awards a build of business date D collects: ready by D, and not already in a live line
# (belt and braces: such an award would be refused by the unique index anyway). The live-line
# test is a scalar subquery on purpose: a plain NOT EXISTS becomes an anti join that walks every
# live line of the district for each chunk; this probes the unique index once per candidate.
_READY = """a.tenant_id = $1 AND a.state = 'ready'
    AND (a.notice_ends_on IS NULL OR a.notice_ends_on <= $2)
    AND a.amount_fen > 0
    AND NOT (SELECT EXISTS (SELECT 1 FROM payment_lines l WHERE l.tenant_id = a.tenant_id
                            AND l.application_id = a.id AND l.state IN ('pending', 'paid')))"""


@dataclass(frozen=True, slots=True)
class BuildRequest:
    tenant_id: UUID
    business_date: date
    origin: str  # "nightly" or "manual"
    key_stem: str  # "nightly:<date>" or "manual:<id>"
    created_by: UUID | None = None
    max_lines: int | None = None  # None: the district's [payer] max_lines_per_file
    chunk_lines: int = CHUNK_LINES


@dataclass(slots=True)
class BuildResult:
    batches: list[str]
    lines_added: int = 0


def build_key(stem: str, payer: Payer, part: int) -> str:
    return f"{stem}:{payer.account_number}:{payer.file_layout}:{part}"


async def _short(request: BuildRequest, work: Callable[[], Awaitable[T]]) -> T:
    async with tenant_transaction(TenantContext.district(request.tenant_id)):
        return await work()


async def _ready_count(request: BuildRequest) -> int:
    count: int = await current_transaction().connection.fetchval(
        f"SELECT count(*) FROM applications a WHERE {_READY}", request.tenant_id, request.business_date
    )
    return count


async def _any_ready(request: BuildRequest) -> bool:
    found: bool = await current_transaction().connection.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM applications a WHERE {_READY})",
        request.tenant_id,
        request.business_date,
    )
    return found


_BEFORE_ANY_ID = UUID(int=0)  # the nil UUID sorts before every award id


@dataclass(frozen=True, slots=True)
class _Chunk:
    added: int
    last_id: UUID | None = None  # the highest award id taken: the next chunk starts after it
    full: bool = False


async def _open_part(request: BuildRequest, payer: Payer, part: int) -> tuple[UUID, str] | None:
    """The batch of this part (created now if missing and there is something to put in it)."""
    conn = current_transaction().connection
    key = build_key(request.key_stem, payer, part)
    row = await conn.fetchrow(
        "SELECT id, state FROM disbursement_batches WHERE tenant_id = $1 AND build_key = $2",
        request.tenant_id,
        key,
    )
    if row is not None:
        return row["id"], row["state"]
    if not await _any_ready(request):
        return None
    batch_id = await conn.fetchval(
        """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin,
                  payer_account, payer_name, payer_bank, layout, part, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           ON CONFLICT (tenant_id, build_key) DO NOTHING RETURNING id""",
        request.tenant_id, key, request.business_date, request.origin, payer.account_number,
        payer.account_name, payer.bank, payer.file_layout, part, request.created_by,
    )  # fmt: skip
    if batch_id is None:  # a concurrent builder made it a moment ago
        row = await conn.fetchrow(
            "SELECT id, state FROM disbursement_batches WHERE tenant_id = $1 AND build_key = $2",
            request.tenant_id,
            key,
        )
        return row["id"], row["state"]
    await audit.record(request.tenant_id, _actor(request), "disbursement.batch_started",
                       object_type="disbursement_batch", object_id=batch_id,
                       after={"build_key": key, "part": part})  # fmt: skip
    return batch_id, "building"


def _actor(request: BuildRequest) -> audit.Actor:
    if request.created_by is None:
        return audit.SYSTEM
    return audit.Actor(request.created_by, None, "finance")


async def _add_chunk(request: BuildRequest, batch_id: UUID, after: UUID | None = None) -> _Chunk:
    """Up to one chunk of ready awards (by id, after ``after``) into the batch, and those awards
    to ``in_batch``: one short transaction. The cursor only spares each chunk re-walking the
    index entries of awards already taken; correctness never depends on it."""
    conn = current_transaction().connection
    tenant = request.tenant_id
    state = await conn.fetchval(
        "SELECT state FROM disbursement_batches WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        tenant,
        batch_id,
    )
    if state != "building":
        return _Chunk(0, full=True)
    # The highest sequence number so far, from the index's end (not a count of the lines: that
    # walks the whole batch every chunk). Lines of a building batch are never cancelled and are
    # numbered from 1 without reuse, so it bounds the line count from above: never over the max.
    last_seq = await conn.fetchval(
        """SELECT coalesce((SELECT seq FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2
                            ORDER BY seq DESC LIMIT 1), 0)""",
        tenant,
        batch_id,
    )
    room = min(request.chunk_lines, (request.max_lines or DEFAULT_MAX_LINES) - last_seq)
    if room <= 0:
        return _Chunk(0, after, full=True)
    awards = await conn.fetch(
        f"""SELECT a.id, a.amount_fen, a.payee_name, a.payee_account_enc, a.payee_account_masked,
                   a.payee_bank_name,
                   (SELECT f.id FROM payment_lines f WHERE f.tenant_id = a.tenant_id
                      AND f.application_id = a.id AND f.state = 'failed'
                    ORDER BY f.created_at DESC, f.id LIMIT 1) AS follows_line_id
            FROM applications a WHERE {_READY} AND a.id > $4
            ORDER BY a.id LIMIT $3 FOR UPDATE OF a SKIP LOCKED""",
        tenant,
        request.business_date,
        room,
        after or _BEFORE_ANY_ID,  # a real bound, never "$4 IS NULL OR …": a cached generic plan
    )  # would turn that into a filter and walk the district's index from its start each chunk
    if not awards:
        return _Chunk(0)
    rows = []
    for offset, award in enumerate(awards, start=1):
        line_id = uuid.uuid4()
        seq = last_seq + offset
        rows.append((
            tenant, line_id, batch_id, award["id"], seq, line_reference(batch_id, seq),
            award["amount_fen"], award["payee_name"] or "",
            reseal_for_line(tenant, award["id"], line_id, award["payee_account_enc"]),
            award["payee_account_masked"] or "", award["payee_bank_name"], award["follows_line_id"],
        ))  # fmt: skip
    # One statement: the lines, their awards to in_batch and the awards' timeline events. The
    # unique index refuses a second live line for an award; only awards that got a line move.
    moved = await conn.fetch(
        """WITH line AS (
             INSERT INTO payment_lines (tenant_id, id, batch_id, application_id, seq, reference,
                    amount_fen, payee_name, payee_account_enc, payee_account_masked,
                    payee_bank_name, follows_line_id)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[],
                    $6::text[], $7::bigint[], $8::text[], $9::text[], $10::text[], $11::text[],
                    $12::uuid[])
             ON CONFLICT (tenant_id, application_id) WHERE state IN ('pending', 'paid') DO NOTHING
             RETURNING tenant_id, application_id),
           award AS (
             UPDATE applications a SET state = 'in_batch', version = a.version + 1, updated_at = now()
             WHERE a.tenant_id = $15 AND a.id = ANY (ARRAY(SELECT application_id FROM line))
               AND a.state = 'ready'
             RETURNING a.tenant_id, a.id),
           event AS (
             INSERT INTO application_events (tenant_id, application_id, actor_user_id, from_state,
                    to_state, comment)
             SELECT tenant_id, id, $13::uuid, 'ready', 'in_batch', $14::text FROM award)
           SELECT application_id FROM line""",
        *[list(column) for column in zip(*rows, strict=True)],
        request.created_by,
        str(batch_id),
        tenant,
    )
    return _Chunk(len(moved), awards[-1]["id"])


async def _seal(request: BuildRequest, batch_id: UUID) -> str:
    """Declare the envelope from the lines and mark the batch ``built`` (or ``cancelled`` when it
    ended up empty). Returns the batch's state."""
    conn = current_transaction().connection
    tenant = request.tenant_id
    state = await conn.fetchval(
        "SELECT state FROM disbursement_batches WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        tenant,
        batch_id,
    )
    if state != "building":
        return str(state)
    count, total = await conn.fetchrow(
        """SELECT count(*), coalesce(sum(amount_fen), 0) FROM payment_lines
           WHERE tenant_id = $1 AND batch_id = $2 AND state <> 'cancelled'""",
        tenant,
        batch_id,
    )
    new_state = "built" if count else "cancelled"
    await conn.execute(
        """UPDATE disbursement_batches SET state = $3, declared_count = $4, declared_total_fen = $5,
                  version = version + 1, updated_at = now()
           WHERE tenant_id = $1 AND id = $2""",
        tenant, batch_id, new_state, count, total,
    )  # fmt: skip
    await audit.record(tenant, _actor(request), f"disbursement.batch_{new_state}",
                       object_type="disbursement_batch", object_id=batch_id,
                       after={"declared_count": count, "declared_total_fen": total})  # fmt: skip
    return new_state


async def build(
    request: BuildRequest, progress: Progress | None = None, detach: Detach | None = None
) -> BuildResult:
    """Build (or finish building) every batch of this request. Idempotent and resumable.

    Each step runs in its own short district transaction; ``detach`` (the job runner's
    ``detached``) first takes it out of the job's own open transaction.
    """

    async def run(work: Callable[[], Awaitable[T]]) -> T:
        if detach is not None:
            result: T = await detach(lambda: _short(request, work))
            return result
        return await _short(request, work)

    payer = await run(lambda: payer_of(request.tenant_id))
    if request.max_lines is None:  # the district's own limit per bank file (tenants-as-code)
        request = replace(request, max_lines=payer.max_lines_per_file)
    total = await run(lambda: _ready_count(request))
    result = BuildResult(batches=[])
    done = 0
    if progress is not None:
        await progress(done, total)
    part = 1
    after: UUID | None = None
    while True:
        opened = await run(lambda part=part: _open_part(request, payer, part))  # type: ignore[misc]
        if opened is None:
            break
        batch_id, state = opened
        if state == "building":
            while True:
                chunk = await run(lambda b=batch_id, a=after: _add_chunk(request, b, a))  # type: ignore[misc]
                if not chunk.added:
                    if chunk.full or after is None:
                        break
                    after = None  # a last pass from the start: awards that were locked a moment ago
                    continue
                after = chunk.last_id
                done += chunk.added
                result.lines_added += chunk.added
                if progress is not None:
                    await progress(done, max(total, done))
            state = await run(lambda b=batch_id: _seal(request, b))  # type: ignore[misc]
        if state == "built":
            result.batches.append(str(batch_id))
        part += 1
    return result
