"""Talent-card jobs: ``talent.issue`` (制卡, nightly per district and "issue now") and
``talent.publish_status`` (the district's signed status list, after a revocation or loss).

The nightly fan-out creates one ``talent.issue`` job per district and business date (key
``nightly:talent.issue:<date>``); "issue now" by a reviewer uses ``manual:<uuid>``. Both issue every
approval of the district up to the business date, each in its own short transaction
(:mod:`renshe.talent.issuance`), so a worker killed at any line leaves only whole issuances behind
and the next attempt — or the other job — continues with what is left.
"""

from __future__ import annotations

import uuid
from datetime import date
from functools import partial
from typing import Any
from uuid import UUID

from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.i18n import gettext, lazy
from renshe.jobs import service as jobs
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun, detached
from renshe.numbers import grouped
from renshe.talent import issuance, nightly_issue, publishing, sweep

ISSUE = "talent.issue"
PUBLISH = "talent.publish_status"
SWEEP = "talent.sweep"
SHOWN_NUMBERS = 20  # the result lists the first card numbers; the cards list has them all


async def issue_cards(run: JobRun) -> dict[str, Any]:
    on = run.business_day()
    signer = await detached(issuance.signer_for_run)
    todo = await detached(partial(nightly_issue.waiting, run.tenant_id, on))
    total = todo["new"] + todo["renewals"]
    await run.progress(0, total)
    numbers: list[str] = []
    done = 0
    while True:  # new cards, a chunk per transaction, until no approval is left unheld
        chunk = await detached(
            partial(nightly_issue.issue_chunk_in_own_transaction, run.tenant_id, on, signer, run.job_id)
        )
        if not chunk:
            break
        done += len(chunk)
        await detached(partial(nightly_issue.refresh_statistics, run.tenant_id))
        numbers.extend(i.card_no for i in chunk[: max(SHOWN_NUMBERS - len(numbers), 0)])
        await run.progress(done, total)
    for application_id in todo["renewal_ids"]:  # renewals, one by one (few, each its own case)
        renewed = await detached(
            partial(issuance.issue_in_own_transaction, run.tenant_id, application_id, on, signer, run.job_id)
        )
        if renewed is not None:
            done += 1
            await run.progress(done, total)
    if done:  # new cards: a verifier needs the district's list to say "valid"
        await detached(partial(publishing.publish_in_own_transaction, run.tenant_id))
    return {
        "issued": done, "skipped": todo["contract_ended"], "card_numbers": numbers,
        "business_date": on.isoformat(),
    }  # fmt: skip


NOTHING = lazy("No approved applications to issue.")
ISSUED = lazy("Issued %(count)s cards.")


def summary(result: dict[str, Any]) -> str:
    """已制发 12 张卡 — or that nothing was waiting."""
    count = int(result["issued"])
    return gettext(NOTHING) if count == 0 else gettext(ISSUED) % {"count": grouped(count)}


async def request_issue(tenant_id: UUID, requested_by: UUID | None, business_date: date) -> jobs.Job:
    """ "Issue now" (立即制卡) by a reviewer: a manual job, inside the open transaction."""
    manual_id = str(uuid.uuid4())
    return await jobs.enqueue(
        ISSUE, tenant_id, {"origin": "manual", "business_date": business_date.isoformat()},
        f"manual:{manual_id}", requested_by=requested_by, business_date=business_date,
    )  # fmt: skip


ISSUE_CARDS = register(
    JobKind(
        name=ISSUE,
        handler=issue_cards,
        time_limit_seconds=60 * 60,
        max_attempts=10,  # every attempt continues with what is left
        nightly=True,
        title="Issue talent cards",
        summary=summary,
    )
)


async def enqueue_due_publications() -> int:
    """The scheduler's minute sweep: a publication for every district whose cards changed since
    it last published. Keyed by the change, so two scheduler replicas enqueue it once."""
    due = await publishing.districts_due()
    for tenant_id, changed_at in due:
        async with tenant_transaction(TenantContext.district(tenant_id)):
            await jobs.enqueue(PUBLISH, tenant_id, {}, f"publish-due:{changed_at.isoformat()}")
    return len(due)


async def publish_status(run: JobRun) -> dict[str, Any]:
    document = await detached(lambda: publishing.publish_in_own_transaction(run.tenant_id))
    return {"district": document["district"], "issued_at": document["issued_at"], "kid": document["kid"]}


PUBLISHED = lazy("Status list of %(district)s published.")


def publish_summary(result: dict[str, Any]) -> str:
    return gettext(PUBLISHED) % {"district": result["district"]}


PUBLISH_STATUS = register(
    JobKind(
        name=PUBLISH,
        handler=publish_status,
        queue="default",
        time_limit_seconds=5 * 60,
        max_attempts=5,
        title="Publish the talent-card status list",
        summary=publish_summary,
    )
)


async def sweep_cards(run: JobRun) -> dict[str, Any]:
    """到期清理与续期提醒, in the job's own transaction (two guarded UPDATEs)."""
    return await sweep.sweep(run.tenant_id, run.business_day())


SWEPT = lazy("%(expired)s cards expired, %(flagged)s flagged for renewal.")


def sweep_summary(result: dict[str, Any]) -> str:
    return gettext(SWEPT) % {"expired": grouped(int(result["expired"])),
                             "flagged": grouped(int(result["renewals_flagged"]))}  # fmt: skip


SWEEP_CARDS = register(
    JobKind(
        name=SWEEP,
        handler=sweep_cards,
        time_limit_seconds=30 * 60,
        max_attempts=5,
        nightly=True,
        title="Expire talent cards and flag renewals",
        summary=sweep_summary,
    )
)
