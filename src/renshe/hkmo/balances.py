"""The HK/MO grants' money per district (资助资金汇总): every district's balance summed from its
grants' ledgers — awarded, released, paid, cancelled, clawed back, recovered, written off — and the
city's total. Sums of money, never a person: a district's roles read their own district, the city's
administrators and analysts every district (under row security, like the targets' progress).
Never stored: each answer sums the ledgers as they are (:mod:`renshe.hkmo.ledger`).
"""

from __future__ import annotations

from typing import Any

from renshe import clock
from renshe.db.tenant import tenant_transaction
from renshe.hkmo import ledger, targets
from renshe.registry.service import Caller


async def of_districts(caller: Caller) -> dict[str, Any]:
    """``{"as_of", "districts": [{"district_code", "balance"}], "city": balance | None}``: the
    caller's own district, or for a city role every district of the city and their sum."""
    targets.check_reader(caller)
    p = caller.principal
    async with tenant_transaction(caller.context()):
        shown = await targets.shown_to(caller)
        sums = await ledger.of_districts([d.id for d in shown.values()])
    districts = [{"district_code": c, "balance": sums[d.id].to_json()} for c, d in sorted(shown.items())]
    city_total = None
    if not p.is_district:
        total = {f: sum(getattr(b, f) for b in sums.values()) for f in ledger.Balance.__dataclass_fields__}
        city_total = ledger.Balance(**total).to_json()
    return {"as_of": clock.now(), "districts": districts, "city": city_total}
