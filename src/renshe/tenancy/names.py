"""Org unit names for pages (机构名称): a district's code or id shown as 蓬江区 / Pengjiang District.

Pages print a district in many places (list columns, detail pages, the dashboard, the audit log,
jobs); joining ``org_units`` into every one of those queries would be a second way of doing the
same thing. The names come from ``org_units`` (that is, ``tenants/*.toml``): this module keeps the
process's copy, read when the web app starts and again after every ``tenants sync`` in this
process. ``tenants sync`` runs before a release's web processes start (docs/operations.md), so a
running process never misses a unit; a code it does not know is shown as the code itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from renshe import i18n
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction


@dataclass(frozen=True, slots=True)
class UnitName:
    code: str
    name_zh: str
    name_en: str

    def localized(self) -> str:
        return self.name_en if i18n.current_locale.get() == "en" else self.name_zh


_by_key: dict[str, UnitName] = {}


def remember(rows: list[Any]) -> None:
    """Replace the copy with ``rows`` (each with id, code, name_zh, name_en)."""
    fresh: dict[str, UnitName] = {}
    for row in rows:
        unit = UnitName(row["code"], row["name_zh"], row["name_en"])
        fresh[row["code"]] = unit
        fresh[str(row["id"])] = unit
    _by_key.clear()
    _by_key.update(fresh)


async def load() -> None:
    """Read every org unit (active or not: old records still name deactivated ones)."""
    async with tenant_transaction(TenantContext.none()):
        rows = await current_transaction().connection.fetch(
            "SELECT id, code, name_zh, name_en FROM org_units"
        )
    remember(list(rows))


def unit_name(key: str | UUID | None) -> str:
    """The name, in the request's language, of the unit with this code or id; the code itself
    when the unit is unknown, "" for None."""
    if key is None or key == "":
        return ""
    unit = _by_key.get(str(key))
    return unit.localized() if unit is not None else str(key)
