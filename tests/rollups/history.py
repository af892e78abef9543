"""Random histories of a district's records for the rollup tests, written as the database owner
(row security aside, but every trigger fires: the state machines, and the rollups' change marks).

Each step moves one record along an allowed edge, as the services do: an application is filed,
decided, paid or failed by the bank (a line of an exported batch), retried; a youth registers.
No award is ever left ``ready``: these have no payee, and another test's nightly build in the
same district would take them.
Times are chosen so that months and the days to pay vary, with Shanghai's month ends in play.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from renshe.disbursement.service import application_place
from renshe.protection.fields import encrypt

PROGRAMS = ("startup_once", "skills_cert")
START = datetime(2025, 10, 31, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai, the last day of October


@dataclass
class History:
    """One district's records as a test wrote them: which applications are in which state."""

    tenant: UUID
    conn: asyncpg.Connection
    batch: UUID
    persons: list[UUID] = field(default_factory=list)
    apps: list[tuple[UUID, str]] = field(default_factory=list)  # id, state
    seq: int = 0
    start: datetime = START  # the steps' hours count from here

    def pick(self, index: int, *states: str) -> int | None:
        matching = [i for i, (_, state) in enumerate(self.apps) if state in states]
        return matching[index % len(matching)] if matching else None


async def begin(conn: asyncpg.Connection, tenant: UUID, start: datetime = START) -> History:
    """A batch already sent to the bank, to hang lines on, and three people to pay."""
    batch = uuid.uuid4()
    await conn.execute(
        """INSERT INTO disbursement_batches (tenant_id, id, build_key, business_date, origin, payer_account,
                                             payer_name, payer_bank, layout)
           VALUES ($1, $2, $3, $4, 'manual', '44001', '江门市人社局', '工商银行', 'icbc')""",
        tenant, batch, f"manual:{batch}", start.date(),
    )  # fmt: skip
    for state in ("built", "approved", "exported"):
        await conn.execute(
            """UPDATE disbursement_batches SET state = $3, declared_count = 0, declared_total_fen = 0
               WHERE tenant_id = $1 AND id = $2""",
            tenant, batch, state,
        )  # fmt: skip
    history = History(tenant, conn, batch, start=start)
    for n in range(3):
        history.persons.append(
            await conn.fetchval(
                "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, $2, 'mainland') RETURNING id",
                tenant,
                f"汇总测试{n}",
            )
        )
    return history


async def _set(h: History, index: int, state: str, **columns: Any) -> None:
    app_id, _ = h.apps[index]
    sets = ", ".join(f"{name} = ${n}" for n, name in enumerate(columns, start=4))
    await h.conn.execute(
        f"UPDATE applications SET state = $3{', ' + sets if sets else ''} WHERE tenant_id = $1 AND id = $2",
        h.tenant, app_id, state, *columns.values(),
    )  # fmt: skip
    h.apps[index] = (app_id, state)


async def file(h: History, program: int, person: int, hours: int) -> None:
    at = h.start + timedelta(hours=hours)
    app_id = uuid.uuid4()
    await h.conn.execute(
        """INSERT INTO applications (tenant_id, id, program_code, person_id, application_date)
           VALUES ($1, $2, $3, $4, $5)""",
        h.tenant, app_id, PROGRAMS[program % len(PROGRAMS)], h.persons[person % len(h.persons)],
        (at + timedelta(hours=8)).date(),
    )  # fmt: skip
    h.apps.append((app_id, "draft"))
    await _set(h, len(h.apps) - 1, "submitted", submitted_at=at)


async def decide(h: History, pick: int, approve: bool, hours: int, amount_fen: int) -> None:
    index = h.pick(pick, "submitted")
    if index is None:
        return
    if not approve:
        await _set(h, index, "rejected", decided_at=h.start + timedelta(hours=hours))
        return
    program = await h.conn.fetchval(
        "SELECT program_code FROM applications WHERE tenant_id = $1 AND id = $2", h.tenant, h.apps[index][0]
    )
    version = await h.conn.fetchval(
        "SELECT id FROM program_versions WHERE program_code = $1 ORDER BY version LIMIT 1", program
    )
    await _set(
        h, index, "approved", decided_at=h.start + timedelta(hours=hours), amount_fen=amount_fen,
        policy_version_id=version, budget_year=2025,
    )  # fmt: skip
    await _set(h, index, "in_notice")


async def _batched(h: History, index: int) -> UUID:
    """The award at ``index`` put in the batch: its payment line, waiting for the bank."""
    app_id, _ = h.apps[index]
    await _set(h, index, "ready")
    await _set(h, index, "in_batch")
    h.seq += 1
    # sealed like a real line's (a key rotation in another test re-seals every district's lines)
    sealed = encrypt("6222020200000000001", application_place(h.tenant, app_id))
    line: UUID = await h.conn.fetchval(
        """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference, amount_fen,
                                      payee_name, payee_account_enc, payee_account_masked)
           SELECT $1, $2, $3, $4, $5, amount_fen, '汇总测试', $6, '6222 **** **** 0001'
           FROM applications WHERE tenant_id = $1 AND id = $3 RETURNING id""",
        h.tenant, h.batch, app_id, h.seq, secrets.token_hex(8), sealed,
    )  # fmt: skip
    return line


async def sent_to_bank(h: History, pick: int) -> UUID | None:
    """An award in notice put in the batch: its payment line, waiting for the bank's answer."""
    index = h.pick(pick, "in_notice")
    return None if index is None else await _batched(h, index)


async def pay(h: History, pick: int, paid: bool, hours: int) -> None:
    """The bank's answer to an award in notice (its first payment) or failed (a retry)."""
    index = h.pick(pick, "in_notice", "payment_failed")
    if index is None:
        return
    line = await _batched(h, index)
    await h.conn.execute(
        "UPDATE payment_lines SET state = $3, resolved_at = $4 WHERE tenant_id = $1 AND id = $2",
        h.tenant, line, "paid" if paid else "failed", h.start + timedelta(hours=hours),
    )  # fmt: skip
    await _set(h, index, "paid" if paid else "payment_failed")


async def correct_payee(h: History, pick: int, person: int) -> None:
    """An operator's correction of an award's beneficiary after it was decided or paid: its
    payments move to another person's "first paid" months."""
    index = h.pick(pick, "in_notice", "paid", "payment_failed")
    if index is None:
        return
    await h.conn.execute(
        "UPDATE applications SET person_id = $3 WHERE tenant_id = $1 AND id = $2",
        h.tenant, h.apps[index][0], h.persons[person % len(h.persons)],
    )  # fmt: skip


async def correct_program(h: History, pick: int, program: int) -> None:
    """An operator's correction of an award's program after it was decided or paid: its decision
    and its payments move to the other program's cells, its payee's first payment under each."""
    index = h.pick(pick, "in_notice", "paid", "payment_failed")
    if index is None:
        return
    await h.conn.execute(
        "UPDATE applications SET program_code = $3 WHERE tenant_id = $1 AND id = $2",
        h.tenant, h.apps[index][0], PROGRAMS[program % len(PROGRAMS)],
    )  # fmt: skip


async def correct_submission(h: History, pick: int, hours: int) -> None:
    """A corrected submission time of a decided or paid award: its payments' days to pay move."""
    index = h.pick(pick, "in_notice", "paid", "payment_failed")
    if index is None:
        return
    await h.conn.execute(
        "UPDATE applications SET submitted_at = $3 WHERE tenant_id = $1 AND id = $2",
        h.tenant, h.apps[index][0], h.start + timedelta(hours=hours),
    )  # fmt: skip


async def bank_file(h: History, paid_mask: int, hours: int) -> None:
    """Every award in notice paid in one batch, and the bank's answer for all of its lines in one
    statement (what reconciling a bank file does), dated over several days."""
    chosen = [i for i, (_, state) in enumerate(h.apps) if state == "in_notice"]
    lines: list[tuple[int, UUID, bool]] = []
    for n, index in enumerate(chosen):
        lines.append((index, await _batched(h, index), bool(paid_mask >> (n % 8) & 1)))
    if not lines:
        return
    await h.conn.execute(
        """UPDATE payment_lines l SET state = a.state, resolved_at = a.at
           FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS a (id, state, at)
           WHERE l.tenant_id = $1 AND l.id = a.id""",
        h.tenant, [line for _, line, _ in lines], ["paid" if paid else "failed" for *_, paid in lines],
        [h.start + timedelta(hours=hours + 30 * n) for n in range(len(lines))],
    )  # fmt: skip
    for index, _, paid in lines:
        await _set(h, index, "paid" if paid else "payment_failed")


async def register_youth(h: History, person: int, day: int) -> None:
    """A youth registration (once per person: a second is skipped)."""
    person_id = h.persons[person % len(h.persons)]
    await h.conn.execute(
        """INSERT INTO hkmo_youth (tenant_id, person_id, status, reached_via, registered_on,
                                   age_at_registration, consent_given_at)
           VALUES ($1, $2, 'studying', 'walk_in', $3, 22, now()) ON CONFLICT DO NOTHING""",
        h.tenant, person_id, h.start.date() + timedelta(days=day),
    )  # fmt: skip
