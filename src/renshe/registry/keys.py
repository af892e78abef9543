"""密钥轮换 — re-encrypting the registry's personal numbers under the active data key.

``renshe keys rotate`` creates one ``registry.rotate_keys`` job per district. The handler walks
every sealed column (:data:`renshe.registry.sealing.SEALED_COLUMNS`) in batches, each in its own
short transaction: it picks values whose key id is not the active one (``FOR UPDATE SKIP
LOCKED``), decrypts them with the retired key, seals them again with the active key at the same
place, and writes them back only if they did not change meanwhile. A value already rotated is
skipped by its key id, so a job killed half-way and run again simply finishes the rest.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.i18n import gettext, lazy
from renshe.jobs import service as jobs
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun, detached
from renshe.numbers import grouped
from renshe.protection.fields import Place, decrypt, encrypt
from renshe.protection.keyring import keyring
from renshe.registry.sealing import SEALED_COLUMNS, SealedColumn

KIND = "registry.rotate_keys"
BATCH_SIZE = 500


class RotationIncomplete(RuntimeError):
    """Some values are still sealed with a retired key (locked by a concurrent edit): retry."""


async def stale_count(tenant_id: UUID, active_id: str) -> int:
    """Values of this district still sealed with another key (inside the open transaction)."""
    conn = current_transaction().connection
    total = 0
    for col in SEALED_COLUMNS:
        total += await conn.fetchval(
            f"""SELECT count(*) FROM {col.table} WHERE tenant_id = $1 AND {col.column} IS NOT NULL
                AND split_part({col.column}, ':', 1) <> $2""",
            tenant_id,
            active_id,
        )
    return total


async def rotate_batch(tenant_id: UUID, col: SealedColumn, limit: int = BATCH_SIZE) -> int:
    """Re-seal up to ``limit`` stale values of one column in one short transaction."""
    ring = keyring()
    async with tenant_transaction(TenantContext.district(tenant_id)):
        conn = current_transaction().connection
        rows = await conn.fetch(
            f"""SELECT id, {col.column} AS stored FROM {col.table}
                WHERE tenant_id = $1 AND {col.column} IS NOT NULL AND split_part({col.column}, ':', 1) <> $2
                LIMIT $3 FOR UPDATE SKIP LOCKED""",
            tenant_id,
            ring.active_id,
            limit,
        )
        updates = []
        for row in rows:
            where = Place(col.table, col.place_column, str(tenant_id), str(row["id"]))
            fresh = encrypt(decrypt(row["stored"], where, ring), where, ring)
            updates.append((tenant_id, row["id"], fresh, row["stored"]))
        await conn.executemany(
            f"""UPDATE {col.table} SET {col.column} = $3
                WHERE tenant_id = $1 AND id = $2 AND {col.column} = $4""",
            updates,
        )
    return len(rows)


async def rotate_district(run: JobRun) -> dict[str, Any]:
    """The job handler: every stale value of the district, batch by batch, with progress."""
    tenant_id = run.tenant_id
    active_id = keyring().active_id
    total = await stale_count(tenant_id, active_id)
    await run.progress(0, total)
    done = 0
    for col in SEALED_COLUMNS:
        while True:
            batch = await detached(lambda col=col: rotate_batch(tenant_id, col))  # type: ignore[misc]
            if batch == 0:
                break
            done += batch
            await run.progress(min(done, total), max(total, done))
    remaining = await detached(lambda: _remaining(tenant_id, active_id))
    if remaining:
        raise RotationIncomplete(f"{remaining} values still use a retired key")
    await audit.record(tenant_id, audit.SYSTEM, "registry.keys_rotated", object_type="data_key",
                       object_id=active_id, after={"re_encrypted": done})  # fmt: skip
    return {"re_encrypted": done, "key_id": active_id}


async def _remaining(tenant_id: UUID, active_id: str) -> int:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return await stale_count(tenant_id, active_id)


async def request_rotation(tenant_id: UUID, requested_by: UUID | None = None) -> jobs.Job:
    """The district's unfinished rotation job, or a new one (inside the open transaction)."""
    row = await current_transaction().connection.fetchrow(
        """SELECT id FROM jobs WHERE tenant_id = $1 AND kind = $2 AND status IN ('queued', 'running')
           ORDER BY created_at LIMIT 1""",
        tenant_id,
        KIND,
    )
    if row is not None:
        return await jobs.get(tenant_id, row["id"])
    key = f"{KIND}:{keyring().active_id}:{uuid.uuid4()}"
    return await jobs.enqueue(
        KIND, tenant_id, {"key_id": keyring().active_id}, key, requested_by=requested_by
    )


REENCRYPTED = lazy("%(count)s personal numbers re-encrypted with the active key %(key)s.")
NOTHING_TO_REENCRYPT = lazy("Every personal number already used the active key %(key)s.")


def summary(result: dict[str, Any]) -> str:
    count = int(result["re_encrypted"])
    if count == 0:
        return gettext(NOTHING_TO_REENCRYPT) % {"key": result["key_id"]}
    return gettext(REENCRYPTED) % {"count": grouped(count), "key": result["key_id"]}


ROTATE_KEYS = register(
    JobKind(
        name=KIND,
        handler=rotate_district,
        time_limit_seconds=2 * 60 * 60,
        max_attempts=5,
        title="Re-encrypt personal data with the active key",
        summary=summary,
    )
)
