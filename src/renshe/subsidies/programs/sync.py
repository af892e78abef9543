"""``renshe programs sync``: store the seed catalogue in ``programs`` / ``program_versions``.

Idempotent: a program whose names or family changed is updated in place (those are labels,
not policy); a version whose terms (by SHA-256) or end date differ from the latest stored
version with the same ``effective_from`` becomes a NEW version; everything else is left alone,
so a second run changes nothing. Programs the catalogue no longer lists are deactivated, never
deleted. Changes are audited in the city's chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs.catalog import Catalogue, load_catalogue
from renshe.subsidies.programs.policy import ProgramInfo


@dataclass(slots=True)
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)  # "code v2 from 2025-01-01"
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.new_versions or self.deactivated)


def _program_values(info: ProgramInfo) -> dict[str, Any]:
    return {
        "family": info.family,
        "name_zh": info.name_zh,
        "name_en": info.name_en,
        "beneficiary": [k.value for k in info.beneficiary],
        "status": info.status,
        "sort_order": info.sort_order,
        "active": True,
    }


async def _city_id() -> UUID | None:
    found: UUID | None = await current_transaction().connection.fetchval(
        "SELECT id FROM org_units WHERE kind = 'city' AND active ORDER BY code LIMIT 1"
    )
    return found


async def _audit(
    city: UUID | None,
    actor: audit.Actor,
    action: str,
    object_id: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any],
) -> None:
    if city is not None:  # before the tenants exist there is no chain to write to
        await audit.record(
            city, actor, action, object_type="program", object_id=object_id, before=before, after=after
        )


async def _sync_program(
    info: ProgramInfo,
    existing: dict[str, Any] | None,
    city: UUID | None,
    actor: audit.Actor,
    report: SyncReport,
) -> None:
    conn = current_transaction().connection
    values = _program_values(info)
    if existing is None:
        await conn.execute(
            """INSERT INTO programs (code, family, name_zh, name_en, beneficiary, status, sort_order)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            info.code,
            info.family,
            info.name_zh,
            info.name_en,
            values["beneficiary"],
            info.status,
            info.sort_order,
        )
        report.created.append(info.code)
        await _audit(city, actor, "program.created", info.code, before=None, after=values)
        return
    before = {k: (list(existing[k]) if k == "beneficiary" else existing[k]) for k in values}
    if before == values:
        report.unchanged.append(info.code)
        return
    await conn.execute(
        """UPDATE programs SET family = $2, name_zh = $3, name_en = $4, beneficiary = $5, status = $6,
                  sort_order = $7, active = true, updated_at = now() WHERE code = $1""",
        info.code,
        info.family,
        info.name_zh,
        info.name_en,
        values["beneficiary"],
        info.status,
        info.sort_order,
    )
    report.updated.append(info.code)
    await _audit(city, actor, "program.updated", info.code, before=before, after=values)


async def sync_catalogue(catalogue: Catalogue | None = None, actor: audit.Actor = audit.SYSTEM) -> SyncReport:
    """Bring the stored programs and versions in line with ``catalogue`` (the seed by default)."""
    catalogue = catalogue or load_catalogue()
    report = SyncReport()
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        # one sync at a time: two concurrent runs must not both add "version 2"
        await conn.execute("LOCK TABLE programs IN SHARE ROW EXCLUSIVE MODE")
        city = await _city_id()
        stored = {r["code"]: dict(r) for r in await conn.fetch("SELECT * FROM programs")}
        for code, program in catalogue.programs.items():
            await _sync_program(program.info, stored.get(code), city, actor, report)
            rows = await conn.fetch(
                """SELECT version, effective_from, effective_to, digest FROM program_versions
                   WHERE program_code = $1 ORDER BY version""",
                code,
            )
            latest = {r["effective_from"]: r for r in rows}  # ordered by version: the last wins
            number = max((r["version"] for r in rows), default=0)
            for version in program.versions:
                current = latest.get(version.effective_from)
                digest = version.terms.digest
                if (
                    current is not None
                    and current["digest"] == digest
                    and current["effective_to"] == version.effective_to
                ):
                    continue
                number += 1
                await conn.execute(
                    """INSERT INTO program_versions (program_code, version, effective_from, effective_to,
                                                     terms, digest)
                       VALUES ($1, $2, $3, $4, $5::jsonb, $6)""",
                    code,
                    number,
                    version.effective_from,
                    version.effective_to,
                    json.dumps(version.terms.data, ensure_ascii=False),
                    digest,
                )
                label = f"{code} v{number} from {version.effective_from.isoformat()}"
                report.new_versions.append(label)
                await _audit(
                    city,
                    actor,
                    "program.version_added",
                    code,
                    before=None,
                    after={
                        "version": number,
                        "effective_from": version.effective_from.isoformat(),
                        "effective_to": version.effective_to.isoformat() if version.effective_to else None,
                        "digest": digest,
                    },
                )
        for code, row in stored.items():
            if code not in catalogue.programs and row["active"]:
                await conn.execute(
                    "UPDATE programs SET active = false, updated_at = now() WHERE code = $1", code
                )
                report.deactivated.append(code)
                await _audit(
                    city, actor, "program.deactivated", code, before={"active": True}, after={"active": False}
                )
    return report
