"""Helpers for the HK/MO grant tests: a rent grant planned, submitted and approved through the
services; the night that pays every ready award of a district through the real batch, bank file
and return; the ledger and tranches as the database holds them."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any
from uuid import UUID

from renshe.accounts.principal import Role
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement import export, lifecycle, reconcile
from renshe.disbursement.build import BuildRequest, build
from renshe.disbursement.service import batch_lines
from renshe.hkmo import clawbacks, grants, tranches
from renshe.registry.service import Caller
from tests.disbursement.awards import make_user
from tests.hkmo.support import PENGJIANG, registered
from tests.registry.support import unit_id
from tests.subsidies.applications_support import caller

RENT_FACTS = {"months": 12, "monthly_rent_fen": 80_000, "still_operating": True}  # 9,600 a year → 6,000 cap
RENT_YEARLY_FEN = 600_000


async def staff(code: str = PENGJIANG) -> tuple[Caller, Caller, Caller]:
    """A clerk and two reviewers of district ``code`` (each a new user)."""
    return (await caller(code, Role.CLERK), await caller(code, Role.REVIEWER),
            await caller(code, Role.REVIEWER))  # fmt: skip


async def approved_grant(
    code: str = PENGJIANG, program: str = "hkmo_rent", facts: dict[str, Any] | None = None,
    *, years: int | None = None,
) -> tuple[dict[str, Any], Caller, Caller]:  # fmt: skip
    """A grant for a new youth of ``code``, approved; with its clerk and approving reviewer."""
    clerk, reviewer, _ = await staff(code)
    youth = await registered(code)
    draft = await grants.create(
        clerk, grants.GrantDraft(youth["id"], program, RENT_FACTS if facts is None else facts, years)
    )
    sent = await grants.submit(clerk, draft["id"], draft["version"])
    return await grants.approve(reviewer, sent["id"], sent["version"]), clerk, reviewer


async def pay_ready_awards(admin_url: str, code: str, day: date, *, fail: bool = False) -> int:
    """The night of ``day`` for district ``code``: build, approve and export every batch by a
    finance officer, and a bank return paying every line (``fail``: failing every line, the
    account closed). Returns the number of lines."""
    tenant = await unit_id(code)
    checker = await make_user(admin_url, tenant)
    result = await build(
        BuildRequest(tenant, day, "nightly", f"nightly:{day.isoformat()}:{uuid.uuid4().hex[:8]}")
    )
    count = 0
    for batch in result.batches:
        async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
            await lifecycle.approve(tenant, checker, UUID(batch))
            await export.export_batch(tenant, checker, UUID(batch))
            lines = await batch_lines(tenant, UUID(batch))
        body = "".join(
            f"{line['reference']},{line['amount_fen'] // 100}.{line['amount_fen'] % 100:02d},"
            + ("失败,账户已销户" if fail else "成功,")
            + "\r\n"
            for line in lines
        )
        count += len(lines)
        async with tenant_transaction(TenantContext.district(tenant, checker.user_id)):
            await reconcile.upload_return(
                tenant,
                checker,
                UUID(batch),
                "回盘.csv",
                ("业务参考号,金额,状态,失败原因\r\n" + body).encode("gbk"),
            )
    return count


async def tranche_rows(code: str, grant_id: UUID) -> list[dict[str, Any]]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        found = await current_transaction().connection.fetch(
            "SELECT * FROM hkmo_tranches WHERE tenant_id = $1 AND grant_id = $2 ORDER BY seq",
            tenant,
            grant_id,
        )
    return [dict(r) for r in found]


async def ledger_kinds(code: str, grant_id: UUID) -> list[tuple[str, int]]:
    tenant = await unit_id(code)
    async with tenant_transaction(TenantContext.district(tenant)):
        found = await current_transaction().connection.fetch(
            "SELECT kind, amount_fen FROM hkmo_ledger WHERE tenant_id = $1 AND grant_id = $2 ORDER BY at, id",
            tenant, grant_id,
        )  # fmt: skip
    return [(r["kind"], r["amount_fen"]) for r in found]


async def paid_first_tranche(admin_url: str, code: str = PENGJIANG) -> dict[str, Any]:
    """An approved rent grant of ``code`` whose first tranche the night paid, and a clawback of
    1,000 yuan owed on it: ``{"grant", "clawback", "clerk", "reviewer"}``."""
    grant, clerk, reviewer = await approved_grant(code)
    first = grant["tranches"][0]
    await tranches.record_milestone(clerk, first["id"], tranches.Evidence(True, "租赁合同已核验"))
    await tranches.decide(reviewer, first["id"], True, "同意")
    # a night long past: it takes awards without a public notice (tranches, fixtures) and leaves
    # the demo's awards whose notice ended lately for the demo's own tests (the world is Enping's)
    await pay_ready_awards(admin_url, code, date(2001, 1, 2))
    owed = await clawbacks.record(clerk, grant["id"], 100_000, "虚报租金")
    return {
        "grant": await grants.get(clerk, grant["id"]),
        "clawback": owed,
        "clerk": clerk,
        "reviewer": reviewer,
    }
