"""The demo's rollups (演示汇总): the history the demo seeding wrote is folded before the demo
opens, so the city analyst's first page already counts it — the sweep would get there within a
minute or two, through the jobs table, but a demo that opens on empty charts explains nothing."""

from __future__ import annotations

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.rollups import folding


async def fold_demo_history(codes: tuple[str, ...] | None = None) -> int:
    """Fold every district's pending changes (those of ``codes`` only, when given); how many."""
    async with tenant_transaction(TenantContext.none()):
        districts = await current_transaction().connection.fetch(
            "SELECT id, code FROM org_units WHERE kind = 'district' AND active ORDER BY code"
        )
    folded = 0
    for district in districts:
        if codes is not None and district["code"] not in codes:
            continue
        async with tenant_transaction(TenantContext.district(district["id"])):
            folded += await folding.fold_all(district["id"])
    return folded
