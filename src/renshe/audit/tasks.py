"""Audit background work: the nightly chain check ``audit.verify_chain`` (审计链夜间校验)."""

from __future__ import annotations

from typing import Any

import structlog

from renshe.audit import chain
from renshe.db.tenant import current_transaction
from renshe.i18n import gettext, lazy
from renshe.jobs.kinds import JobKind, register
from renshe.jobs.runner import JobRun
from renshe.numbers import grouped

log = structlog.get_logger(__name__)

CHAIN_INTACT = lazy("The audit chain is intact: %(records)s records checked.")
CHAIN_BROKEN = lazy("The audit chain is broken at record %(seq)s.")


async def verify_chain(run: JobRun) -> dict[str, Any]:
    """Verify this org unit's chain through RLS and store ok or the first broken link.

    Read-only, so running it twice is harmless. A broken chain is a *result*, not a job failure:
    the job succeeds and its result says where the chain breaks.
    """
    await run.progress(0, 1)
    report = await chain.verify(current_transaction().connection, run.tenant_id)
    if not report.ok:
        log.error("audit.chain_broken", seq=report.broken_seq, problem=report.problem)
    await run.progress(1, 1)
    return report.as_result()


def summary(result: dict[str, Any]) -> str:
    if result["ok"]:
        return gettext(CHAIN_INTACT) % {"records": grouped(result["records"])}
    return gettext(CHAIN_BROKEN) % {"seq": result["broken_seq"]}


VERIFY_CHAIN = register(
    JobKind(
        name="audit.verify_chain",
        handler=verify_chain,
        time_limit_seconds=30 * 60,
        max_attempts=3,
        nightly=True,
        unit_kinds=frozenset({"district", "city"}),
        title="Audit chain check",
        summary=summary,
    )
)
