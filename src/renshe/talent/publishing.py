"""Publishing a district's status list (状态列表发布) and the public keys, for offline verifiers.

A district's list has one bit per card (its ``status_index``): set for a card revoked, reported
lost or superseded by a renewal's new card. Expiry sets no bit — the dates are in the token. The
list is signed with the active key and stored on ``talent_status_lists``; ``/verify/status/<code>``
serves the stored document as it is, so every verifier sees the same bytes.

``talent.publish_status`` runs it: enqueued after a revocation, a loss or a renewal commits, and by
the scheduler every minute for any district whose cards changed since it last published (the
``changed_at`` mark, written in the same transaction as the change), so a lost message delays a
publication by a minute at most and never loses it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.talent import signing_keys, status_lists

ENDED = ("revoked", "lost", "superseded")  # the states whose bit is set


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


async def publish(tenant_id: UUID) -> dict[str, Any]:
    """Build, sign and store the district's list inside the open transaction; returns it."""
    await _conn().execute(
        "INSERT INTO talent_status_lists (tenant_id) VALUES ($1) ON CONFLICT (tenant_id) DO NOTHING",
        tenant_id,
    )
    row = await _conn().fetchrow(
        "SELECT last_index, changed_at FROM talent_status_lists WHERE tenant_id = $1 FOR UPDATE", tenant_id
    )
    code = await _conn().fetchval("SELECT code FROM org_units WHERE id = $1", tenant_id)
    revoked = await _conn().fetch(
        "SELECT status_index FROM talent_cards WHERE tenant_id = $1 AND state = ANY($2::text[])",
        tenant_id,
        list(ENDED),
    )
    signer = await signing_keys.active_signer()
    document = status_lists.build(
        code, [r["status_index"] for r in revoked], highest_index=max(row["last_index"], 0),
        kid=signer.kid, key=signer.private_key, at=clock.now(),
    ).to_json()  # fmt: skip
    await _conn().execute(
        "UPDATE talent_status_lists SET document = $2::jsonb, published_at = $3 WHERE tenant_id = $1",
        tenant_id,
        json.dumps(document),
        row["changed_at"],  # published up to this change: a later one is seen as still due
    )
    return document


async def publish_in_own_transaction(tenant_id: UUID) -> dict[str, Any]:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return await publish(tenant_id)


async def published_document(district_code: str) -> dict[str, Any] | None:
    """The district's last published list (None before its first card), for anyone."""
    async with tenant_transaction(TenantContext.none()):
        tenant_id = await _conn().fetchval(
            "SELECT id FROM org_units WHERE code = $1 AND kind = 'district'", district_code
        )
    if tenant_id is None:
        return None
    async with tenant_transaction(TenantContext.district(tenant_id)):
        raw = await _conn().fetchval(
            "SELECT document FROM talent_status_lists WHERE tenant_id = $1", tenant_id
        )
    return None if raw is None else (json.loads(raw) if isinstance(raw, str) else raw)


async def districts_due() -> list[tuple[UUID, datetime]]:
    """Districts whose cards changed after their last publication (the scheduler's minute sweep)."""
    async with tenant_transaction(TenantContext.none()):
        units = await _conn().fetch("SELECT id FROM org_units WHERE kind = 'district' AND active")
    due: list[tuple[UUID, datetime]] = []
    for unit in units:
        async with tenant_transaction(TenantContext.district(unit["id"])):
            changed = await _conn().fetchval(
                """SELECT changed_at FROM talent_status_lists
                   WHERE tenant_id = $1 AND (published_at IS NULL OR published_at < changed_at)""",
                unit["id"],
            )
        if changed is not None:
            due.append((unit["id"], changed))
    return due
