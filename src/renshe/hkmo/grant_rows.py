"""Rows of the HK/MO grants inside the open tenant transaction: a grant or tranche loaded with a
lock, the optimistic-locking change, the judgement by the programs machinery, and the answer's
shape (grant, tranches, ledger, balance). Used by :mod:`renshe.hkmo.grants` and
:mod:`renshe.hkmo.tranches`; nothing here opens a transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe.db import versioned
from renshe.db.tenant import current_transaction
from renshe.errors import NotFound
from renshe.hkmo import ledger
from renshe.i18n import lazy
from renshe.registry import repository as registry
from renshe.registry.masking import mask_name
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.model import Evaluation, PriorAward

GRANT_OBJECT = "hkmo_grant"
TRANCHE_OBJECT = "hkmo_tranche"
# Award states that count as received for the caps (an award of a tranche counts through its grant).
AWARDED = ("approved", "in_notice", "on_hold", "ready", "in_batch", "paid", "payment_failed")
WITHHELD = "***"

NO_GRANT = lazy("No such grant.")
NO_TRANCHE = lazy("No such tranche.")
STALE = lazy("Someone changed this grant meanwhile: reload it and try again.")


def conn() -> asyncpg.Connection:
    return current_transaction().connection


def as_json(value: Any) -> Any:
    """A jsonb column as Python; the empty list most tranches hold is not parsed each time."""
    if value == "[]":
        return []  # a fresh list: callers may append
    return json.loads(value) if isinstance(value, str) else value


async def load_grant(tenant_id: UUID, grant_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    row = await conn().fetchrow(
        "SELECT * FROM hkmo_grants WHERE tenant_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""),
        tenant_id, grant_id,
    )  # fmt: skip
    if row is None:
        raise NotFound(NO_GRANT)
    return dict(row)


VIEWED = """SELECT g.*, y.consent_withdrawn_at AS youth_withdrawn_at, p.name AS youth_person_name
  FROM hkmo_grants g JOIN hkmo_youth y ON y.tenant_id = g.tenant_id AND y.id = g.youth_id
  JOIN persons p ON p.tenant_id = y.tenant_id AND p.id = y.person_id"""


async def load_grant_viewed(tenant_id: UUID, grant_id: UUID) -> dict[str, Any]:
    """A grant with what its view shows of the youth, in one statement (the grant's page)."""
    row = await conn().fetchrow(VIEWED + " WHERE g.tenant_id = $1 AND g.id = $2", tenant_id, grant_id)
    if row is None:
        raise NotFound(NO_GRANT)
    return dict(row)


async def load_tranche(tenant_id: UUID, tranche_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    row = await conn().fetchrow(
        "SELECT * FROM hkmo_tranches WHERE tenant_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""),
        tenant_id, tranche_id,
    )  # fmt: skip
    if row is None:
        raise NotFound(NO_TRANCHE)
    return dict(row)


async def tranches_of(tenant_id: UUID, grant_id: UUID) -> list[asyncpg.Record]:
    """The grant's tranches in order, as read-only records (a monthly allowance has dozens)."""
    rows = await conn().fetch(
        "SELECT * FROM hkmo_tranches WHERE tenant_id = $1 AND grant_id = $2 ORDER BY seq", tenant_id, grant_id
    )
    return list(rows)


async def change(table: str, row: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``columns`` if the row still has the version read (optimistic lock): 409 otherwise."""
    assert table in ("hkmo_grants", "hkmo_tranches")
    return await versioned.change(table, row, columns, STALE)


def grant_summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of a grant."""
    return {"state": row["state"], "program_code": row["program_code"], "amount_fen": row["amount_fen"],
            "version": row["version"]}  # fmt: skip


# ---------------------------------------------------------------- judging a grant


async def _history(tenant_id: UUID, person_id: UUID, grant_id: UUID) -> list[PriorAward]:
    """The person's awards in this district for the caps: every other approved grant (its plan
    less what was cancelled) and every award that is not a grant's tranche."""
    rows = await conn().fetch(
        """SELECT g.program_code,
                  g.amount_fen - coalesce((SELECT sum(t.amount_fen) FROM hkmo_tranches t
                    WHERE t.tenant_id = g.tenant_id AND t.grant_id = g.id
                      AND t.state = 'cancelled'), 0)::bigint AS amount_fen, g.decided_at::date AS on_day
           FROM hkmo_grants g JOIN hkmo_youth y ON y.tenant_id = g.tenant_id AND y.id = g.youth_id
           WHERE g.tenant_id = $1 AND y.person_id = $2 AND g.state = 'approved' AND g.id <> $3
           UNION ALL
           SELECT a.program_code, a.amount_fen, coalesce(a.decided_at, a.created_at)::date
           FROM applications a WHERE a.tenant_id = $1 AND a.person_id = $2 AND a.state = ANY($4::text[])
             AND a.amount_fen IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM hkmo_tranches t
                             WHERE t.tenant_id = a.tenant_id AND t.award_id = a.id)""",
        tenant_id, person_id, grant_id, list(AWARDED),
    )  # fmt: skip
    return [PriorAward(r["program_code"], r["amount_fen"], r["on_day"]) for r in rows]


async def judge(
    tenant_id: UUID, person_id: UUID, grant_id: UUID, program_code: str, *, facts: Mapping[str, Any], on: date
) -> tuple[Evaluation, programs.PolicyVersion]:
    """The grant judged by the version of its program in force on ``on`` (with the district's
    override), the youth's awards and the city-wide once-per-lifetime gate."""
    version = await programs.version_in_force(program_code, tenant_id, on)
    person = await registry.load_person(person_id, [tenant_id])
    evaluation = await programs.evaluate(
        version, facts, programs.beneficiary_of_person(person),
        await _history(tenant_id, person_id, grant_id),
        application_date=on, prior_receipt=programs.citywide_receipts(tenant_id, person_id),
    )  # fmt: skip
    return evaluation, version


# ---------------------------------------------------------------- the answer


TRANCHE_FIELDS = ("id", "seq", "due_on", "milestone", "amount_fen", "state", "evidence_met", "evidence_note",
                  "evidence_at", "decided_met", "decided_at", "decision_comment", "cancel_reason", "award_id",
                  "scheduled_interest_fen", "interest_paid_fen", "version")  # fmt: skip


VIEWED_TRANCHE = (*TRANCHE_FIELDS, "grant_id", "evidence_by", "evidence_files")


def tranche_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """One tranche as answered, from a whole row."""
    view = {k: row[k] for k in VIEWED_TRANCHE}
    view["evidence_files"] = as_json(view["evidence_files"]) or []
    return view


async def tranche_views(tenant_id: UUID, grant_ids: list[UUID]) -> dict[UUID, list[dict[str, Any]]]:
    """The tranches of one grant or of a page of grants, as answered, in order, in one statement:
    only the answered columns read, each record copied whole (a ten-year allowance has 120;
    picking fields one by one cost more than the read)."""
    rows = await conn().fetch(
        f"""SELECT {", ".join(VIEWED_TRANCHE)} FROM hkmo_tranches
            WHERE tenant_id = $1 AND grant_id = ANY($2::uuid[]) ORDER BY grant_id, seq""",
        tenant_id, grant_ids,
    )  # fmt: skip
    views: dict[UUID, list[dict[str, Any]]] = {g: [] for g in grant_ids}
    for r in rows:
        view = dict(r)
        view["evidence_files"] = as_json(view["evidence_files"]) or []
        views[view["grant_id"]].append(view)
    return views


async def grant_views(tenant_id: UUID, found: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A page of grants (read with ``VIEWED``) as listed: each with its tranches, read for the
    whole page at once; no ledger."""
    tranches = await tranche_views(tenant_id, [r["id"] for r in found])
    return [await grant_view(tenant_id, r, full=False, tranches=tranches[r["id"]]) for r in found]


async def grant_view(
    tenant_id: UUID,
    row: Mapping[str, Any],
    *,
    full: bool = True,
    tranches: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The grant as answered: the youth's masked name (withheld after a withdrawal of consent),
    its tranches (read here unless given), and with ``full`` its ledger and balance."""
    if "youth_person_name" in row:  # read with the grant (load_grant_viewed)
        youth = {"consent_withdrawn_at": row["youth_withdrawn_at"], "name": row["youth_person_name"]}
    else:
        youth = dict(await conn().fetchrow(
            """SELECT y.consent_withdrawn_at, p.name FROM hkmo_youth y
               JOIN persons p ON p.tenant_id = y.tenant_id AND p.id = y.person_id
               WHERE y.tenant_id = $1 AND y.id = $2""",
            tenant_id, row["youth_id"],
        ))  # fmt: skip
    out: dict[str, Any] = {
        **{k: row[k] for k in ("id", "youth_id", "program_code", "amount_fen", "applied_on", "state",
                               "submitted_at", "decided_at", "decision_comment", "version", "created_at",
                               "updated_at")},
        "youth_name": WITHHELD if youth["consent_withdrawn_at"] else mask_name(youth["name"]),
        "facts": as_json(row["facts"]) or {},
        "evaluation": as_json(row["evaluation"]),
        "tranches": tranches if tranches is not None
        else (await tranche_views(tenant_id, [row["id"]]))[row["id"]],
    }  # fmt: skip
    if full:
        out["ledger"] = await ledger.entries(tenant_id, row["id"])
        out["balance"] = ledger.from_entries(out["ledger"]).to_json()
    return out
