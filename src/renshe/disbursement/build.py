"""Building batches (组批): a district's ``ready`` awards become payment lines, exactly once.

How it survives a worker killed at any line:

* a batch (one *part*: one bank file of at most ``max_lines`` lines) is created in the same
  transaction as its first chunk of lines, with the next free part number of its build key
  (``nightly:<date>:<payer>:<layout>:<part>`` or ``manual:<id>:…``), so no part is ever empty and
  a re-run finds, by that key, the parts it had started instead of making new ones;
* lines are added in chunks, each in its own short transaction that inserts the lines **and**
  flips their applications ``ready → in_batch``: a chunk is there entirely or not at all, and an
  award already in a line is no longer ``ready``;
* the database refuses a second live line for an award (``payment_lines_one_live_per_award``),
  whatever the code above does;
* a batch becomes ``built`` with its envelope (declared count and total) computed from its lines
  when it is full or no ready award is left, so a re-run simply continues where the last one died.

Parts are independent batches, so a night of more than one file is filled by several builders at
once (``FOR UPDATE SKIP LOCKED`` keeps them off each other's awards).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import structlog

from renshe import clock
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

log = structlog.get_logger(__name__)
Progress = Callable[[int, int | None], Awaitable[None]]
T = TypeVar("T")
Detach = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]

# Which awards a build of business date D collects: ready by D. Whether one is already in a live
# line is not asked: a line going live takes its award out of ``ready`` in the same statement, and
# were one ever left behind, the unique index refuses its second line and the award stays put.
# (Asking cost a probe per award, and on a table without statistics yet — the first night —
# PostgreSQL probed by walking every line of the district instead.)
_READY = """a.tenant_id = $1 AND a.state = 'ready'
    AND (a.notice_ends_on IS NULL OR a.notice_ends_on <= $2)
    AND a.amount_fen > 0"""


@dataclass(frozen=True, slots=True)
class BuildRequest:
    tenant_id: UUID
    business_date: date
    origin: str  # "nightly" or "manual"
    key_stem: str  # "nightly:<date>" or "manual:<id>"
    created_by: UUID | None = None
    max_lines: int | None = None  # None: the district's [payer] max_lines_per_file
    chunk_lines: int = CHUNK_LINES
    builders: int = 1  # parts filled at once (the job uses RENSHE_BATCH_BUILDERS)


@dataclass(slots=True)
class BuildResult:
    batches: list[str]
    lines_added: int = 0


def build_key(stem: str, payer: Payer, part: int) -> str:
    return f"{stem}:{payer.account_number}:{payer.file_layout}:{part}"


def _key_prefix(request: BuildRequest, payer: Payer) -> str:
    return build_key(request.key_stem, payer, 0)[:-1]  # everything but the part number


async def _short(request: BuildRequest, work: Callable[[], Awaitable[T]]) -> T:
    async with tenant_transaction(TenantContext.district(request.tenant_id)):
        return await work()


async def _ready_count(request: BuildRequest) -> int:
    count: int = await current_transaction().connection.fetchval(
        f"SELECT count(*) FROM applications a WHERE {_READY}", request.tenant_id, request.business_date
    )
    return count


_BEFORE_ANY_ID = UUID(int=0)  # the nil UUID sorts before every award id


@dataclass(frozen=True, slots=True)
class _Part:
    """One batch of the build (the ``part``-th file of this payer and layout)."""

    id: UUID
    number: int
    state: str


@dataclass(frozen=True, slots=True)
class _Chunk:
    taken: int  # awards selected (and locked) for the chunk
    added: int  # of those, the ones now in a line
    part: _Part | None = None  # where they went: a new part comes into being with its first chunk
    last_id: UUID | None = None  # the highest award id taken: the next chunk starts after it
    full: bool = False  # the part takes no more lines
    room: int = 0  # lines the part can still take


async def _parts(request: BuildRequest, payer: Payer) -> list[_Part]:
    """The parts an earlier run of this build made (by build key), in part order."""
    rows = await current_transaction().connection.fetch(
        """SELECT id, part, state FROM disbursement_batches
           WHERE tenant_id = $1 AND starts_with(build_key, $2) ORDER BY part""",
        request.tenant_id,
        _key_prefix(request, payer),
    )
    return [_Part(r["id"], r["part"], r["state"]) for r in rows]


async def _new_part(request: BuildRequest, payer: Payer) -> _Part:
    """The next part of this build, for a first chunk already selected. The advisory lock makes
    concurrent builders (in this process or another) number their parts one after the other."""
    conn = current_transaction().connection
    prefix = _key_prefix(request, payer)
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", prefix)
    number = await conn.fetchval(
        """SELECT coalesce(max(part), 0) + 1 FROM disbursement_batches
           WHERE tenant_id = $1 AND starts_with(build_key, $2)""",
        request.tenant_id,
        prefix,
    )
    key = build_key(request.key_stem, payer, number)
    batch_id = await conn.fetchval(
        """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin,
                  payer_account, payer_name, payer_bank, layout, part, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now())) RETURNING id""",
        request.tenant_id, key, request.business_date, request.origin, payer.account_number,
        payer.account_name, payer.bank, payer.file_layout, number, request.created_by,
        clock.record_time(),  # the demo's business date; otherwise the database's now()
    )  # fmt: skip
    return _Part(batch_id, number, "building")


async def _record_start(request: BuildRequest, payer: Payer, part: _Part, lines: int) -> None:
    """Audited last in the part's first transaction: the district's audit chain is locked from
    here to the commit, and another builder sealing its part waits for it."""
    key = build_key(request.key_stem, payer, part.number)
    await audit.record(request.tenant_id, _actor(request), "disbursement.batch_started",
                       object_type="disbursement_batch", object_id=part.id,
                       after={"build_key": key, "part": part.number, "first_lines": lines})  # fmt: skip


def _actor(request: BuildRequest) -> audit.Actor:
    if request.created_by is None:
        return audit.SYSTEM
    return audit.Actor(request.created_by, None, "finance")


async def _take(request: BuildRequest, payer: Payer, part: _Part | None, after: UUID | None) -> _Chunk:
    """Up to one chunk of ready awards (by id, after ``after``) into ``part`` — or into a new part
    made with it when ``part`` is None, so no part is ever opened empty — and those awards to
    ``in_batch``: one short transaction. The cursor only spares each chunk re-walking the index
    entries of awards already taken; correctness never depends on it."""
    conn = current_transaction().connection
    tenant = request.tenant_id
    max_lines = request.max_lines or DEFAULT_MAX_LINES
    last_seq = 0
    if part is not None:
        state = await conn.fetchval(
            "SELECT state FROM disbursement_batches WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            tenant,
            part.id,
        )
        if state != "building":
            return _Chunk(0, 0, part, after, full=True)
        # The highest sequence number so far, from the index's end (not a count of the lines:
        # that walks the whole batch every chunk). Lines of a building batch are never cancelled
        # and are numbered from 1 without reuse, so it bounds the line count from above.
        last_seq = await conn.fetchval(
            """SELECT coalesce((SELECT seq FROM payment_lines WHERE tenant_id = $1 AND batch_id = $2
                                ORDER BY seq DESC LIMIT 1), 0)""",
            tenant,
            part.id,
        )
    room = min(request.chunk_lines, max_lines - last_seq)
    if room <= 0:
        return _Chunk(0, 0, part, after, full=True)
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
        return _Chunk(0, 0, part, after, room=max_lines - last_seq)
    new = part is None
    if part is None:
        part = await _new_part(request, payer)
    moved = await _add_lines(request, part.id, last_seq, awards)
    if len(moved) < len(awards):
        stuck = sorted(str(a["id"]) for a in awards if a["id"] not in moved)
        log.warning("disbursement.award_already_in_live_line", tenant=str(tenant), awards=stuck)
        if new and not moved:  # not even the new part: roll it back rather than leave it empty
            raise _NothingMoved(len(awards), awards[-1]["id"])
    if new:
        await _record_start(request, payer, part, len(moved))
    room = max_lines - last_seq - len(awards)
    return _Chunk(len(awards), len(moved), part, awards[-1]["id"], full=room <= 0, room=room)


class _NothingMoved(Exception):
    """A new part's first chunk gave no award a line (each already had a live one)."""

    def __init__(self, taken: int, last_id: UUID) -> None:
        super().__init__(taken, last_id)
        self.chunk = _Chunk(taken, 0, None, last_id)


async def _add_lines(
    request: BuildRequest, batch_id: UUID, last_seq: int, awards: Sequence[Any]
) -> set[UUID]:
    """The awards' lines numbered after ``last_seq``, their awards to ``in_batch`` and their
    timeline events, in one statement; returns the awards that got a line."""
    tenant = request.tenant_id
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
    # The unique index refuses a second live line for an award; only awards that got a line move.
    moved = await current_transaction().connection.fetch(
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
             UPDATE applications a SET state = 'in_batch', version = a.version + 1,
                    updated_at = coalesce($16::timestamptz, now())
             WHERE a.tenant_id = $15 AND a.id = ANY (ARRAY(SELECT application_id FROM line))
               AND a.state = 'ready'
             RETURNING a.tenant_id, a.id),
           event AS (
             INSERT INTO application_events (tenant_id, application_id, actor_user_id, from_state,
                    to_state, comment, at)
             SELECT tenant_id, id, $13::uuid, 'ready', 'in_batch', $14::text,
                    coalesce($16::timestamptz, clock_timestamp()) FROM award)
           SELECT application_id FROM line""",
        *[list(column) for column in zip(*rows, strict=True)],
        request.created_by,
        str(batch_id),
        tenant,
        clock.record_time(),
    )
    return {row["application_id"] for row in moved}


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


Runner = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


@dataclass(slots=True)
class _Builders:
    """One run of :func:`build`: what its builders share while each fills its own parts."""

    request: BuildRequest
    payer: Payer
    run: Runner  # a step in its own short transaction
    total: int  # ready awards counted at the start
    unfinished: list[_Part]  # parts a killed run left building: filled first
    built: dict[int, UUID]  # part number → batch, for the result
    progress: Progress | None
    counts: BuildResult = field(default_factory=lambda: BuildResult(batches=[]))
    room: dict[int, int] = field(default_factory=dict)  # builder → free lines of its part
    reported: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def seal(self, part: _Part) -> None:
        if await self.run(lambda: _seal(self.request, part.id)) == "built":
            self.built[part.number] = part.id

    async def report(self, added: int) -> None:
        self.counts.lines_added += added
        if self.progress is not None and added:
            async with self.reported:  # one write at a time: the job page never counts backwards
                done = self.counts.lines_added
                await self.progress(done, max(self.total, done))

    def others_can_take_the_rest(self) -> bool:
        """Whether the parts other builders are filling have room for every award still ready (as
        counted at the start): then a builder whose part is full stops instead of opening one more
        part, and the night has no more files than it needs. Awards ready since are still taken:
        the other builders go on until none is left."""
        return bool(self.room) and self.total - self.counts.lines_added <= sum(self.room.values())

    def next_unfinished(self) -> _Part | None:
        return self.unfinished.pop(0) if self.unfinished else None

    async def fill(self, builder: int) -> None:
        """One builder: chunk after chunk into its part, a new part when that one is full, until a
        pass over the ready awards moves nothing."""
        part = self.next_unfinished()
        after: UUID | None = None
        added_this_pass = 0
        while part is not None or not self.others_can_take_the_rest():
            if part is None:  # about to open a part: the others know its room before it exists
                self.room[builder] = self.request.max_lines or DEFAULT_MAX_LINES
            try:
                chunk: _Chunk = await self.run(
                    lambda p=part, a=after: _take(self.request, self.payer, p, a)  # type: ignore[misc]
                )
            except _NothingMoved as nothing:
                chunk = nothing.chunk
            part = chunk.part
            if part is not None and not chunk.full:
                self.room[builder] = chunk.room
            else:
                self.room.pop(builder, None)
            await self.report(chunk.added)
            if chunk.full and part is not None:
                await self.seal(part)
                part = self.next_unfinished()
            elif not chunk.taken:
                if after is None or not added_this_pass:
                    break  # a pass that moved nothing: the build is over
                # The end of the index: once more from the start, for awards that another
                # transaction held a moment ago.
                after, added_this_pass = None, 0
                continue
            after, added_this_pass = chunk.last_id, added_this_pass + chunk.added
        self.room.pop(builder, None)
        if part is not None:
            await self.seal(part)


async def build(
    request: BuildRequest, progress: Progress | None = None, detach: Detach | None = None
) -> BuildResult:
    """Build (or finish building) every batch of this request. Idempotent and resumable.

    Each step runs in its own short district transaction; ``detach`` (the job runner's
    ``detached``) first takes it out of the job's own open transaction. With more than a file's
    worth of ready awards, up to ``request.builders`` parts are filled at once, each by its own
    builder: SKIP LOCKED keeps them off each other's awards.
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
    earlier = await run(lambda: _parts(request, payer))
    night = _Builders(
        request, payer, run, total,
        unfinished=[p for p in earlier if p.state == "building"],
        built={p.number: p.id for p in earlier if p.state == "built"},
        progress=progress,
    )  # fmt: skip
    if progress is not None:
        await progress(0, total)
    files = -(-total // (request.max_lines or DEFAULT_MAX_LINES))
    try:
        async with asyncio.TaskGroup() as group:  # one builder failing stops the others
            for builder in range(max(1, min(request.builders, files))):
                group.create_task(night.fill(builder))
    except BaseExceptionGroup as failed:  # the first failure, as a lone builder would raise it
        raise failed.exceptions[0] from None
    for part in night.unfinished:  # more unfinished parts than builders: closed as they are
        await night.seal(part)
    night.counts.batches = [str(night.built[n]) for n in sorted(night.built)]
    return night.counts
