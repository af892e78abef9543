"""Org units: tenants-as-code sync and tree look-ups (机构树)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import NotFound
from renshe.subsidies.programs.overrides import program_override_problems
from renshe.tenancy import names
from renshe.tenancy.tables import OrgUnit
from renshe.tenancy.toml_files import Problem, UnitFile, read_directory


class TenantFilesInvalid(Exception):
    """One or more ``tenants/*.toml`` files are invalid; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(slots=True)
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)


def _parents_first(units: list[UnitFile]) -> list[UnitFile]:
    by_key = {u.key: u for u in units}
    ordered: list[UnitFile] = []
    seen: set[str] = set()

    def visit(unit: UnitFile, trail: tuple[str, ...] = ()) -> None:
        if unit.key in seen:
            return
        if unit.key in trail:
            raise TenantFilesInvalid([Problem(unit.path.name, 1, "parent", "the parents form a cycle")])
        if unit.parent and unit.parent in by_key:
            visit(by_key[unit.parent], (*trail, unit.key))
        seen.add(unit.key)
        ordered.append(unit)

    for unit in units:
        visit(unit)
    return ordered


def _snapshot(row: dict[str, Any]) -> dict[str, Any]:
    settings = row["settings"]
    if isinstance(settings, str):
        settings = json.loads(settings)
    return {
        "code": row["code"],
        "kind": row["kind"],
        "parent_id": str(row["parent_id"]) if row["parent_id"] else None,
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "active": row["active"],
        "settings": settings,
    }


async def sync_directory(directory: Path, actor: audit.Actor = audit.SYSTEM) -> SyncReport:
    """Upsert every org unit of ``directory``; deactivate (never delete) the ones no file names.

    Raises :class:`TenantFilesInvalid` listing every problem, with nothing changed.
    """
    units, problems = read_directory(directory)
    if not problems:  # [programs.CODE] overrides must fit the program catalogue
        problems = program_override_problems(units)
    if problems:
        raise TenantFilesInvalid(problems)
    ordered = _parents_first(units)
    report = SyncReport()
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        await conn.execute("LOCK TABLE org_units IN SHARE ROW EXCLUSIVE MODE")
        existing = {r["key"]: dict(r) for r in await conn.fetch("SELECT * FROM org_units")}
        ids: dict[str, UUID] = {k: r["id"] for k, r in existing.items()}
        for unit in ordered:
            parent_id = ids.get(unit.parent) if unit.parent else None
            values = {
                "code": unit.code,
                "kind": unit.kind,
                "parent_id": str(parent_id) if parent_id else None,
                "name_zh": unit.name_zh,
                "name_en": unit.name_en,
                "active": unit.active,
                "settings": unit.settings,
            }
            old = existing.get(unit.key)
            if old is None:
                row = await conn.fetchrow(
                    """INSERT INTO org_units (key, code, kind, parent_id, name_zh, name_en, active,
                                              settings, source_file)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING id""",
                    unit.key,
                    unit.code,
                    unit.kind,
                    parent_id,
                    unit.name_zh,
                    unit.name_en,
                    unit.active,
                    json.dumps(unit.settings, ensure_ascii=False),
                    unit.path.name,
                )
                ids[unit.key] = row["id"]
                report.created.append(unit.key)
                await audit.record(
                    row["id"],
                    actor,
                    "org_unit.created",
                    object_type="org_unit",
                    object_id=unit.key,
                    after=values,
                )
                continue
            before = _snapshot(old)
            if before == values and old["source_file"] == unit.path.name:
                report.unchanged.append(unit.key)
                continue
            await conn.execute(
                """UPDATE org_units SET code = $2, kind = $3, parent_id = $4, name_zh = $5,
                          name_en = $6, active = $7, settings = $8::jsonb, source_file = $9,
                          updated_at = now()
                   WHERE key = $1""",
                unit.key,
                unit.code,
                unit.kind,
                parent_id,
                unit.name_zh,
                unit.name_en,
                unit.active,
                json.dumps(unit.settings, ensure_ascii=False),
                unit.path.name,
            )
            report.updated.append(unit.key)
            await audit.record(
                old["id"],
                actor,
                "org_unit.updated",
                object_type="org_unit",
                object_id=unit.key,
                before=before,
                after=values,
            )
        named = {u.key for u in units}
        for key, old in existing.items():
            if key not in named and old["active"]:
                await conn.execute(
                    "UPDATE org_units SET active = false, updated_at = now() WHERE key = $1", key
                )
                report.deactivated.append(key)
                await audit.record(
                    old["id"],
                    actor,
                    "org_unit.deactivated",
                    object_type="org_unit",
                    object_id=key,
                    before={"active": True},
                    after={"active": False},
                )
    await names.load()  # this process's pages name the units as the files now do
    return report


# ---------------------------------------------------------------- look-ups (need an open transaction)


async def org_unit_by_code(code: str) -> dict[str, Any]:
    row = await OrgUnit.select().where(OrgUnit.code == code).first().run()
    if row is None:
        raise NotFound("No such org unit.")
    return row


async def org_unit(unit_id: UUID) -> dict[str, Any]:
    row = await OrgUnit.select().where(OrgUnit.id == unit_id).first().run()
    if row is None:
        raise NotFound("No such org unit.")
    return row


async def subtree_ids(unit_id: UUID) -> frozenset[UUID]:
    """The unit and every unit below it (a city's districts; later a province's cities)."""
    rows = await current_transaction().connection.fetch(
        """WITH RECURSIVE tree AS (
             SELECT id FROM org_units WHERE id = $1
             UNION SELECT o.id FROM org_units o JOIN tree t ON o.parent_id = t.id)
           SELECT id FROM tree""",
        unit_id,
    )
    return frozenset(r["id"] for r in rows)


async def active_units(kind: str | None = None) -> list[dict[str, Any]]:
    query = OrgUnit.select().where(OrgUnit.active.eq(True)).order_by(OrgUnit.code)
    if kind is not None:
        query = query.where(OrgUnit.kind == kind)
    return await query.run()


async def all_units() -> list[dict[str, Any]]:
    return await OrgUnit.select().order_by(OrgUnit.code).run()
