"""HK/MO youth jobs: ``hkmo.milestones`` (里程碑到期) and ``hkmo.check_ledgers`` (台账核对), both
nightly per district.

The fan-out creates one job per district and business date (key ``nightly:hkmo.milestones:<date>``);
the job moves the tranches falling due and counts the clerks' queues
(:mod:`renshe.hkmo.milestones`) in one transaction, so a worker killed at any line leaves either
nothing or the whole night's move behind, and the retry finds the rest.
"""

from __future__ import annotations

from typing import Any

from renshe.hkmo import ledger_check, milestones
from renshe.i18n import gettext, lazy
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun
from renshe.numbers import grouped

MILESTONES = "hkmo.milestones"
CHECK_LEDGERS = "hkmo.check_ledgers"


async def fall_due(run: JobRun) -> dict[str, Any]:
    return await milestones.run(run.tenant_id, run.business_day())


FELL_DUE = lazy("%(count)s milestones fell due; %(evidence)s await evidence, %(decision)s a decision.")


def summary(result: dict[str, Any]) -> str:
    """12 个里程碑到期;3 个待提交材料,2 个待审核。"""
    return gettext(FELL_DUE) % {
        "count": grouped(int(result["fell_due"])), "evidence": grouped(int(result["awaiting_evidence"])),
        "decision": grouped(int(result["awaiting_decision"])),
    }  # fmt: skip


FALL_DUE = register(
    JobKind(
        name=MILESTONES,
        handler=fall_due,
        time_limit_seconds=30 * 60,
        max_attempts=5,
        nightly=True,
        title="Move HK/MO grant milestones falling due",
        summary=summary,
    )
)


async def check_ledgers(run: JobRun) -> dict[str, Any]:
    return await ledger_check.check(run.tenant_id, run.business_day())


CHECKED = lazy("%(grants)s grant ledgers checked; %(breaches)s breaches found.")


def check_summary(result: dict[str, Any]) -> str:
    return gettext(CHECKED) % {
        "grants": grouped(int(result["grants"])),
        "breaches": grouped(int(result["breaches"])),
    }


CHECK = register(
    JobKind(
        name=CHECK_LEDGERS,
        handler=check_ledgers,
        time_limit_seconds=30 * 60,
        max_attempts=5,
        nightly=True,
        title="Check the HK/MO grant ledgers",
        summary=check_summary,
    )
)
