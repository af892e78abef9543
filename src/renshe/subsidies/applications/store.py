"""Rows of the applications domain inside the open tenant transaction: loading with a lock,
the optimistic-locking state change, the timeline event (+ audit record), the budget and the
payee snapshot (收款账户快照).

Every function here runs in the caller's ``tenant_transaction`` (RLS decides what is visible).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from renshe import clock
from renshe.accounts.display import actor_name
from renshe.audit import service as audit
from renshe.db import versioned
from renshe.db.tenant import current_transaction
from renshe.errors import Conflict, DomainError, NotFound
from renshe.i18n import lazy
from renshe.protection.fields import Place, decrypt, encrypt
from renshe.registry.sealing import ENTERPRISES, PERSONS, unseal

OBJECT_TYPE = "application"
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Where an application's payee account is sealed: bound to the application row, so a snapshot
# copied to another row or district does not decrypt.
PAYEE_TABLE = "applications"
PAYEE_COLUMN = "payee_account"

NOT_FOUND = lazy("No such application.")
STALE = lazy("This application was changed by someone else meanwhile. Reload it and try again.")
OVER_BUDGET = lazy("Approving this award would exceed the district's %(year)s budget for this program.")
NO_BUDGET = lazy("The district has no %(year)s budget for this program.")
NO_BANK_ACCOUNT = lazy("The beneficiary has no bank account on record: add one in the registry first.")


def today() -> date:
    """The business day in Asia/Shanghai."""
    return clock.today()


class OverBudget(DomainError):
    status_code = 409


def conn() -> asyncpg.Connection:
    return current_transaction().connection


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def load(tenant_ids: list[UUID] | None, application_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    """One application visible here (``NotFound`` alike for missing and another district's)."""
    row = await conn().fetchrow(
        f"""SELECT * FROM applications WHERE id = $1 AND ($2::uuid[] IS NULL OR tenant_id = ANY($2::uuid[]))
            {"FOR UPDATE" if lock else ""}""",
        application_id,
        tenant_ids,
    )
    if row is None:
        raise NotFound(NOT_FOUND)
    return dict(row)


def check_version(row: Mapping[str, Any], expected: int | None) -> None:
    if expected is not None and row["version"] != expected:
        raise Conflict(STALE)


async def change(row: Mapping[str, Any], columns: Mapping[str, Any]) -> dict[str, Any]:
    """Write ``columns`` if the row still has the version read (optimistic lock): 409 otherwise."""
    return await versioned.change("applications", row, columns, STALE)


def summary(row: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit log keeps of an application: no clear personal number."""
    return {
        "state": row["state"],
        "program_code": row["program_code"],
        "amount_fen": row["amount_fen"],
        "version": row["version"],
        "payee_account": row.get("payee_account_masked"),
    }


async def event(
    tenant_id: UUID,
    actor: audit.Actor,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    comment: str | None = None,
    *,
    action: str | None = None,
) -> None:
    """One timeline row (application_events) and one audit record, in the same transaction."""
    from_state = before["state"] if before else None
    await conn().execute(
        """INSERT INTO application_events
             (tenant_id, application_id, actor_user_id, from_state, to_state, comment, at)
           VALUES ($1, $2, $3, $4, $5, $6, coalesce($7, clock_timestamp()))""",
        tenant_id, after["id"], actor.user_id, from_state, after["state"], comment, clock.record_time(),
    )  # fmt: skip
    await audit.record(
        tenant_id,
        actor,
        action or f"application.{after['state']}",
        object_type=OBJECT_TYPE,
        object_id=after["id"],
        before=summary(before) if before else None,
        after={**summary(after), **({"comment": comment} if comment else {})},
    )


async def history(tenant_id: UUID, application_id: UUID) -> list[dict[str, Any]]:
    rows = await conn().fetch(
        """SELECT e.at, e.from_state, e.to_state, e.comment, e.actor_user_id, u.username,
                  u.username AS actor_username, u.display_name AS actor_display_name,
                  u.active AS actor_active
           FROM application_events e LEFT JOIN users u ON u.id = e.actor_user_id
           WHERE e.tenant_id = $1 AND e.application_id = $2 ORDER BY e.at, e.id""",
        tenant_id,
        application_id,
    )
    # "actor": who did it as pages name them (display name; 系统 for the scheduler's steps)
    return [{**dict(r), "actor": actor_name(r)} for r in rows]


# ---------------------------------------------------------------- settings and budgets


async def unit_settings(tenant_id: UUID) -> dict[str, Any]:
    raw = await conn().fetchval("SELECT settings FROM org_units WHERE id = $1", tenant_id)
    return as_json(raw) or {}


async def reserve(tenant_id: UUID, program_code: str, year: int, amount_fen: int) -> None:
    """Reserve ``amount_fen`` of the district's budget: one guarded UPDATE, so concurrent
    approvals serialise on the budget row and can never overspend (the CHECK backs it up)."""
    settings = await unit_settings(tenant_id)
    total = (settings.get("budgets_fen") or {}).get(str(year), {}).get(program_code)
    if total is not None:
        await conn().execute(
            """INSERT INTO budgets (tenant_id, program_code, year, total_fen) VALUES ($1, $2, $3, $4)
               ON CONFLICT (tenant_id, program_code, year) DO NOTHING""",
            tenant_id, program_code, year, total,
        )  # fmt: skip
    status = await conn().execute(
        """UPDATE budgets SET reserved_fen = reserved_fen + $4, updated_at = now()
           WHERE tenant_id = $1 AND program_code = $2 AND year = $3
             AND reserved_fen + paid_fen + $4 <= total_fen""",
        tenant_id, program_code, year, amount_fen,
    )  # fmt: skip
    if status.endswith(" 0"):
        exists = await conn().fetchval(
            "SELECT 1 FROM budgets WHERE tenant_id = $1 AND program_code = $2 AND year = $3",
            tenant_id, program_code, year,
        )  # fmt: skip
        raise OverBudget(OVER_BUDGET if exists else NO_BUDGET, year=year)


async def release(tenant_id: UUID, program_code: str, year: int, amount_fen: int) -> None:
    """Give back a reservation (an award rejected after approval)."""
    await conn().execute(
        """UPDATE budgets SET reserved_fen = reserved_fen - $4, updated_at = now()
           WHERE tenant_id = $1 AND program_code = $2 AND year = $3""",
        tenant_id, program_code, year, amount_fen,
    )  # fmt: skip


# ---------------------------------------------------------------- payee snapshot


async def registry_payee(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The payee the registry holds now for the application's beneficiary — what approval will
    freeze: name, clear account digits, masked account, bank. None without an account."""
    tenant_id = row["tenant_id"]
    if row["person_id"] is not None:
        table, beneficiary = PERSONS, row["person_id"]
        found = await conn().fetchrow(
            """SELECT name, bank_account_enc, bank_account_masked, bank_account_name, bank_name
               FROM persons WHERE tenant_id = $1 AND id = $2""",
            tenant_id, beneficiary,
        )  # fmt: skip
        payee_name = found and (found["bank_account_name"] or found["name"])
    else:
        table, beneficiary = ENTERPRISES, row["enterprise_id"]
        found = await conn().fetchrow(
            """SELECT name, bank_account_enc, bank_account_masked, bank_name
               FROM enterprises WHERE tenant_id = $1 AND id = $2""",
            tenant_id, beneficiary,
        )  # fmt: skip
        payee_name = found and found["name"]
    if found is None or not found["bank_account_enc"]:
        return None
    return {
        "payee_name": payee_name,
        "digits": unseal(table, "bank_account", tenant_id, beneficiary, found["bank_account_enc"]),
        "payee_account_masked": found["bank_account_masked"],
        "payee_bank_name": found["bank_name"],
    }


async def payee_snapshot(row: Mapping[str, Any]) -> dict[str, Any]:
    """The beneficiary's bank account as the registry holds it now, re-sealed for this
    application row (its own Place), with the masked copy."""
    payee = await registry_payee(row)
    if payee is None:
        raise Conflict(NO_BANK_ACCOUNT)
    return {
        "payee_name": payee["payee_name"],
        "payee_account_enc": encrypt(payee["digits"], payee_place(row["tenant_id"], row["id"])),
        "payee_account_masked": payee["payee_account_masked"],
        "payee_bank_name": payee["payee_bank_name"],
    }


def payee_place(tenant_id: UUID, application_id: UUID) -> Place:
    return Place(PAYEE_TABLE, PAYEE_COLUMN, str(tenant_id), str(application_id))


def payee_account(row: Mapping[str, Any]) -> str:
    """The clear payee account of an application row (for the bank file only)."""
    return decrypt(row["payee_account_enc"], payee_place(row["tenant_id"], row["id"]))
