"""The night's new cards in chunks (夜间批量制卡): what ``talent.issue`` does with the approvals of
new cards; renewals go one by one through :func:`renshe.talent.issuance.issue_one`.

One transaction per chunk of up to :data:`CHUNK` approvals, set-based: the approvals locked
``FOR UPDATE SKIP LOCKED`` (a concurrent issuer takes the next chunk instead of waiting), the
chunk's numbers and status indexes reserved from the district's counters in one step, the
applications moved to ``issued`` with their timeline events, the tokens signed for the reserved
numbers a slice at a time while the database inserts the slice before (cards and their issuances
in one statement; the trigger hands each card its number and index from the reservation, and at
commit the database checks that none was left unused), and one audit record naming every card and
application of the chunk. A worker killed mid-chunk loses the whole chunk,
the counters' increments with it: committed numbers stay gapless, and the next attempt issues the
same approvals again. The unique indexes on ``talent_cards`` and ``talent_card_issuances`` refuse
a second card for an approval whatever happens.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry.masking import mask_name
from renshe.subsidies.programs import service as programs
from renshe.talent import signing_keys, tokens
from renshe.talent.card_numbers import format_card_number
from renshe.talent.issuance import CARD_OBJECT, Issued, sign_card, validity

CHUNK = 500  # approvals per transaction: a kill loses at most this much work
SIGNING_SLICE = 125  # cards signed while the database inserts the slice before


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def _validity_years(tenant_id: UUID, version_ids: set[UUID]) -> dict[UUID, int]:
    years = {}
    for version_id in version_ids:
        policy = await programs.version_by_id(version_id, tenant_id)
        assert policy.terms.card is not None
        years[version_id] = policy.terms.card.validity_years
    return years


class NumbersNotAsPredicted(RuntimeError):
    """The trigger numbered a card otherwise than the chunk signed it for (cannot happen while the
    reservation is taken in insertion order): the chunk rolls back and the next attempt retries."""


async def _reserve(tenant_id: UUID, year: int, rows: list[dict[str, Any]]) -> None:
    """Reserve the chunk's numbers and status indexes in one step (``talent_card_block_reserve``:
    one update of each counter per chunk, where numbering card by card updated them once per card)
    and note on each row the number and index the trigger will hand it from the reservation, in
    insertion order. At commit the database checks that every reserved number was used."""
    first_seq, first_index = await _conn().fetchrow(
        "SELECT first_seq, first_index FROM talent_card_block_reserve($1, $2, $3)", tenant_id, year, len(rows)
    )
    code = await _conn().fetchval("SELECT code FROM org_units WHERE id = $1", tenant_id)
    for offset, row in enumerate(rows):
        row["card_no"] = format_card_number(code, year, first_seq + offset)
        row["status_index"] = first_index + offset


def _slices(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


@dataclass(frozen=True, slots=True)
class _Chunk:
    """What every statement of one chunk shares."""

    tenant_id: UUID
    on: date
    signer: signing_keys.Signer
    at: datetime | None  # the demo's story time; None: the database's clock
    job_id: UUID | None


async def _insert_cards(chunk: _Chunk, rows: list[dict[str, Any]]) -> list[asyncpg.Record]:
    """The slice's cards and their issuance records, in one statement."""
    return await _conn().fetch(
        """WITH card AS (
             INSERT INTO talent_cards (tenant_id, card_no, year, status_index, application_id, origin,
                                       person_id, tier, policy_version_id, valid_from, valid_until,
                                       contract_end, holder_masked, kid, token, issued_at, updated_at)
             SELECT $1, '', 0, 0, x.a, 'new', x.p, x.t, x.v, $2, x.u, x.c, x.h, $3, x.token,
                    coalesce($4, now()), coalesce($4, now())
             FROM unnest($6::uuid[], $7::uuid[], $8::text[], $9::uuid[], $10::date[], $11::date[],
                         $12::text[],
                         $13::text[]) WITH ORDINALITY AS x(a, p, t, v, u, c, h, token, n)
             ORDER BY x.n
             RETURNING id, application_id, card_no, status_index, valid_until),
           issuance AS (
             INSERT INTO talent_card_issuances (tenant_id, application_id, card_id, kind, valid_from,
                                                valid_until, kid, job_id, issued_at)
             SELECT $1, card.application_id, card.id, 'new', $2, card.valid_until, $3, $5,
                    coalesce($4, clock_timestamp())
             FROM card)
           SELECT id, application_id, card_no, status_index FROM card""",
        chunk.tenant_id, chunk.on, chunk.signer.kid, chunk.at, chunk.job_id,
        [r["application_id"] for r in rows], [r["person_id"] for r in rows], [r["tier"] for r in rows],
        [r["policy_version_id"] for r in rows], [r["valid_until"] for r in rows],
        [r["contract_end"] for r in rows], [r["holder_masked"] for r in rows],
        [r["token"] for r in rows],
    )  # fmt: skip


def _sign(rows: list[dict[str, Any]], signer: signing_keys.Signer) -> None:
    for row in rows:
        row["token"] = sign_card(row, signer)


async def _sign_and_insert_cards(chunk: _Chunk, rows: list[dict[str, Any]]) -> list[asyncpg.Record]:
    """The applications move to ``issued`` (with their timeline events), and the cards are
    inserted a slice at a time, each statement sent before the next slice is signed: the database
    works on one while Python signs the other (two cores instead of one taking turns)."""
    in_flight: asyncio.Future[Any] = asyncio.ensure_future(_move_applications(chunk, rows))
    cards: list[asyncpg.Record] = []
    try:
        for part in _slices(rows, SIGNING_SLICE):
            await asyncio.sleep(0)  # let the statement in flight go out before signing blocks the loop
            _sign(part, chunk.signer)
            previous = await in_flight
            if isinstance(previous, list):
                cards.extend(previous)
            in_flight = asyncio.ensure_future(_insert_cards(chunk, part))
        cards.extend(await in_flight)
    except BaseException:
        with contextlib.suppress(Exception):
            await in_flight  # the connection must be free before the transaction rolls back
        raise
    return cards


async def _move_applications(chunk: _Chunk, rows: list[dict[str, Any]]) -> None:
    """approved → issued, with the timeline event naming the card number the chunk reserved."""
    await _conn().execute(
        """WITH moved AS (
             UPDATE talent_applications
             SET state = 'issued', version = version + 1, updated_at = coalesce($2, now())
             WHERE tenant_id = $1 AND id = ANY($3::uuid[])
             RETURNING id)
           INSERT INTO talent_application_events
             (tenant_id, application_id, from_state, to_state, comment, at)
           SELECT $1, x.a, 'approved', 'issued', x.card, coalesce($2, clock_timestamp())
           FROM unnest($3::uuid[], $4::text[]) AS x(a, card) JOIN moved ON moved.id = x.a""",
        chunk.tenant_id, chunk.at, [r["application_id"] for r in rows], [r["card_no"] for r in rows],
    )  # fmt: skip


async def issue_chunk(
    tenant_id: UUID, on: date, signer: signing_keys.Signer, job_id: UUID | None = None,
    limit: int | None = None,
) -> list[Issued]:  # fmt: skip
    """Issue up to ``limit`` approved new cards of the district up to ``on`` (oldest approval
    first) inside the open transaction; [] when none is left that another issuer does not hold."""
    taken = await _conn().fetch(
        """SELECT a.id, a.number, a.person_id, a.tier_approved, a.policy_version_id, a.contract_end, p.name
           FROM talent_applications a JOIN persons p ON p.tenant_id = a.tenant_id AND p.id = a.person_id
           WHERE a.tenant_id = $1 AND a.state = 'approved' AND a.kind = 'new' AND a.approved_on <= $2
             AND a.contract_end >= $2
           ORDER BY a.decided_at, a.id LIMIT $3
           FOR UPDATE OF a SKIP LOCKED""",
        tenant_id, on, limit or CHUNK,
    )  # fmt: skip
    if not taken:
        return []
    years = await _validity_years(tenant_id, {r["policy_version_id"] for r in taken})
    at = clock.record_time()
    rows = [
        {"application_id": r["id"], "person_id": r["person_id"], "tier": r["tier_approved"],
         "policy_version_id": r["policy_version_id"], "valid_from": on,
         "valid_until": validity(on, years[r["policy_version_id"]], r["contract_end"]),
         "contract_end": r["contract_end"], "holder_masked": tokens.fit_name(mask_name(r["name"]))}
        for r in taken
    ]  # fmt: skip
    await _reserve(tenant_id, on.year, rows)
    cards = await _sign_and_insert_cards(_Chunk(tenant_id, on, signer, at, job_id), rows)
    await _conn().execute("SELECT set_config('renshe.card_block', '', true)")  # the reservation is used up
    # the database decided the numbers; a token signed for any other number must not commit
    for card, row in zip(cards, rows, strict=True):
        if (card["application_id"], card["card_no"], card["status_index"]) != (
            row["application_id"],
            row["card_no"],
            row["status_index"],
        ):
            raise NumbersNotAsPredicted(card["card_no"])
    numbers = {r["id"]: r["number"] for r in taken}
    await audit.record(
        tenant_id, audit.SYSTEM, "talent_card.issued", object_type=CARD_OBJECT,
        object_id=rows[0]["card_no"],
        after={"business_date": on.isoformat(), "kid": signer.kid, "job_id": str(job_id) if job_id else None,
               "cards": [{"card_no": r["card_no"], "application": numbers[r["application_id"]]}
                         for r in rows]},
    )  # fmt: skip
    return [Issued(r["application_id"], r["card_no"], "new", r["valid_until"]) for r in rows]


async def issue_chunk_in_own_transaction(
    tenant_id: UUID, on: date, signer: signing_keys.Signer, job_id: UUID | None = None,
    limit: int | None = None,
) -> list[Issued]:  # fmt: skip
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return await issue_chunk(tenant_id, on, signer, job_id, limit)


async def refresh_statistics(tenant_id: UUID) -> None:
    """Analyse the cards and issuances tables when the night has outgrown their statistics
    (``renshe_refresh_statistics``, migration 0018): a district's first night otherwise plans its
    foreign-key checks on a table of a few rows and walks every card of the year for each new
    card. A no-op (one catalog read) once the statistics fit."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        await _conn().fetchrow(
            "SELECT renshe_refresh_statistics('talent_cards'),"
            " renshe_refresh_statistics('talent_card_issuances')"
        )


async def waiting(tenant_id: UUID, on: date) -> dict[str, Any]:
    """What the night has to do: new cards and renewals approved up to ``on``, and approvals whose
    labour contract ended before ``on`` (no card can start: the clerk's to settle)."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        row = await _conn().fetchrow(
            """SELECT count(*) FILTER (WHERE kind = 'new' AND contract_end >= $2) AS new,
                      count(*) FILTER (WHERE kind = 'renewal' AND contract_end >= $2) AS renewals,
                      count(*) FILTER (WHERE contract_end < $2) AS contract_ended
               FROM talent_applications WHERE tenant_id = $1 AND state = 'approved' AND approved_on <= $2""",
            tenant_id, on,
        )  # fmt: skip
        renewals = await _conn().fetch(
            """SELECT id FROM talent_applications
               WHERE tenant_id = $1 AND state = 'approved' AND kind = 'renewal'
                 AND approved_on <= $2 AND contract_end >= $2 ORDER BY decided_at, id""",
            tenant_id, on,
        )  # fmt: skip
    return {**dict(row), "renewal_ids": [r["id"] for r in renewals]}
