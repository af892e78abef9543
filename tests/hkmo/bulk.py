"""Many HK/MO grants and tranches at once, written as a superuser along the allowed state edges
(a grant draft → submitted → approved; a tranche planned → due → ready, or planned → cancelled),
for the kill tests and the benchmark: years of history in seconds."""

from __future__ import annotations

import uuid
from datetime import date
from uuid import UUID

import asyncpg

from renshe.db import urls


async def _staff(conn: asyncpg.Connection, tenant: UUID) -> tuple[UUID, UUID]:
    maker, checker = [
        await conn.fetchval(
            "INSERT INTO users (username, org_unit_id, password_hash) VALUES ($1, $2, 'x') RETURNING id",
            f"bulk_{uuid.uuid4().hex[:12]}", tenant,
        )
        for _ in range(2)
    ]  # fmt: skip
    return maker, checker


async def approved_grants(
    conn: asyncpg.Connection, tenant: UUID, count: int, program: str = "hkmo_rent"
) -> list[UUID]:
    """``count`` approved grants of ``program``, each for a new youth, in the open transaction."""
    maker, checker = await _staff(conn, tenant)
    version = await conn.fetchval(
        "SELECT id FROM program_versions WHERE program_code = $1 ORDER BY effective_from DESC LIMIT 1",
        program,
    )
    rows = await conn.fetch(
        """WITH p AS (
             INSERT INTO persons (tenant_id, name, residency)
             SELECT $1, '港澳青年' || g, 'hong_kong' FROM generate_series(1, $2) g RETURNING id),
           y AS (
             INSERT INTO hkmo_youth (tenant_id, person_id, status, reached_via, registered_on,
                                     age_at_registration, consent_given_at)
             SELECT $1, id, 'founder', 'job_fair', '2024-01-02', 30, now() FROM p RETURNING id)
           INSERT INTO hkmo_grants (tenant_id, youth_id, program_code, amount_fen, applied_on, created_by)
           SELECT $1, id, $3, 1, '2024-01-02', $4 FROM y RETURNING id""",
        tenant, count, program, maker,
    )  # fmt: skip
    ids = [r["id"] for r in rows]
    await conn.execute(
        "UPDATE hkmo_grants SET state = 'submitted', submitted_by = $2 WHERE id = ANY($1::uuid[])", ids, maker
    )
    await conn.execute(
        """UPDATE hkmo_grants SET state = 'approved', decided_by = $2, decided_at = now(),
                                  policy_version_id = $3
           WHERE id = ANY($1::uuid[])""",
        ids, checker, version,
    )  # fmt: skip
    return ids


async def tranche_history(
    admin_url: str, tenant: UUID, *, grants: int, per_grant: int, falling_due: int, morning: date
) -> list[UUID]:
    """``grants`` approved grants with ``per_grant`` tranches each: ``falling_due`` of them planned
    and due by ``morning`` (what the night moves), the rest years of history — cancelled before
    ``morning`` or planned after it. Returns the ids of the tranches falling due."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        async with conn.transaction():
            ids = await approved_grants(conn, tenant, grants)
            await conn.execute(
                """INSERT INTO hkmo_tranches (tenant_id, grant_id, seq, milestone, due_on, amount_fen)
                   SELECT $1, g.id, s, 'still_operating',
                          -- history: ten years back and forth around the morning, never on it
                          $3::date + (CASE WHEN (n + s) % 2 = 0 THEN -1 ELSE 1 END)
                                     * (30 + (n * 7 + s) % 3600)::int,
                          600000
                   FROM unnest($2::uuid[]) WITH ORDINALITY AS g(id, n), generate_series(1, $4) s""",
                tenant, ids, morning, per_grant,
            )  # fmt: skip
            # only these grants' tranches: other tests' tranches of the district are theirs
            await conn.execute(
                """UPDATE hkmo_tranches SET state = 'cancelled', cancel_reason = '历史数据'
                   WHERE tenant_id = $1 AND grant_id = ANY($3::uuid[]) AND due_on < $2""",
                tenant, morning, ids,
            )  # fmt: skip
            due = await conn.fetch(
                """UPDATE hkmo_tranches SET due_on = $2::date - (seq % 5)
                   WHERE id IN (SELECT id FROM hkmo_tranches
                                WHERE tenant_id = $1 AND grant_id = ANY($4::uuid[]) AND state = 'planned'
                                ORDER BY id LIMIT $3)
                   RETURNING id""",
                tenant, morning, falling_due, ids,
            )  # fmt: skip
        await conn.execute("ANALYZE hkmo_tranches, hkmo_grants")
        return [r["id"] for r in due]
    finally:
        await conn.close()


async def ready_tranches(admin_url: str, tenant: UUID, awards: list[UUID]) -> list[UUID]:
    """One approved rent grant per ready award (an award of ``hkmo_rent``), its first tranche
    ready with that award, the ledger's award and release written: as a met milestone leaves it."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        async with conn.transaction():
            grants = await approved_grants(conn, tenant, len(awards))
            rows = await conn.fetch(
                """INSERT INTO hkmo_tranches (tenant_id, grant_id, seq, milestone, due_on, amount_fen)
                   SELECT $1, g, 1, 'lease_signed', '2026-03-02', a.amount_fen
                   FROM unnest($2::uuid[], $3::uuid[]) AS x(g, award)
                   JOIN applications a ON a.tenant_id = $1 AND a.id = x.award
                   RETURNING id, grant_id, amount_fen""",
                tenant, grants, awards,
            )  # fmt: skip
            by_grant = {r["grant_id"]: r for r in rows}
            award_of = dict(zip(grants, awards, strict=True))
            await conn.execute("UPDATE hkmo_tranches SET state = 'due' WHERE id = ANY($1::uuid[])",
                               [r["id"] for r in rows])  # fmt: skip
            await conn.executemany(
                "UPDATE hkmo_tranches SET state = 'ready', award_id = $2 WHERE id = $1",
                [(by_grant[g]["id"], award_of[g]) for g in grants],
            )
            await conn.executemany(
                """INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, kind, amount_fen)
                   VALUES ($1, $2, NULL, 'awarded', $4), ($1, $2, $3, 'released', $4)""",
                [(tenant, g, by_grant[g]["id"], by_grant[g]["amount_fen"]) for g in grants],
            )
            return [by_grant[g]["id"] for g in grants]
    finally:
        await conn.close()
