"""The nightly fan-out (夜间批处理): one job per active org unit per nightly kind per business date.

The idempotency key ``nightly:{kind}:{date}`` is unique per tenant in the database, so a second
fan-out for the same date — a re-run, or a second scheduler replica firing at the same minute —
creates nothing: the constraint decides, not timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.errors import NotFound
from renshe.jobs import kinds, service
from renshe.tenancy.service import active_units


@dataclass(frozen=True, slots=True)
class Planned:
    """One nightly job, as the fan-out found or created it."""

    kind: str
    tenant_id: UUID
    tenant_code: str
    job_id: UUID
    status: str
    created: bool


def nightly_key(kind: str, business_date: date) -> str:
    return f"nightly:{kind}:{business_date.isoformat()}"


async def fan_out(business_date: date, tenant_code: str | None = None) -> list[Planned]:
    """Create (or find) the nightly jobs of ``business_date`` for every active org unit, or only
    for the one with ``tenant_code``. Each job is sent to its worker after its unit's commit."""
    nightly_kinds = kinds.nightly()
    async with tenant_transaction(TenantContext.none()):
        units = await active_units()
    if tenant_code is not None:
        units = [u for u in units if u["code"] == tenant_code]
        if not units:
            raise NotFound("No active org unit with this code.")
    planned: list[Planned] = []
    for unit in units:
        wanted = [k for k in nightly_kinds if unit["kind"] in k.unit_kinds]
        if not wanted:
            continue
        async with tenant_transaction(TenantContext.district(unit["id"])):
            for spec in wanted:
                job, created = await service.submit(
                    spec.name,
                    unit["id"],
                    {"business_date": business_date.isoformat()},
                    nightly_key(spec.name, business_date),
                    business_date=business_date,
                )
                planned.append(Planned(spec.name, unit["id"], unit["code"], job.id, job.status, created))
    return planned
