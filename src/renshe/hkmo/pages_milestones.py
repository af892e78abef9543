"""里程碑待办 — the district's milestone queues: awaiting the clerk's evidence, awaiting a
reviewer's decision, overdue (due over 30 days ago with no evidence), and falling due within a
week; each row leads to its grant, where the evidence is recorded and decided.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from renshe.accounts.guards import requires_roles
from renshe.hkmo import grants, milestones, plans, youth
from renshe.hkmo.pages_grants import labels
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import caller
from renshe.registry.pages_common import positive_int
from renshe.web.query_values import PAGE_SIZES, page_size

Req = Request[Any, Any, Any]
READ = requires_roles(*youth.READERS)
QUEUE_LABELS = {
    "awaiting_evidence": lazy("Awaiting evidence"),
    "awaiting_decision": lazy("Awaiting a decision"),
    "overdue": lazy("Overdue"),
    "due_within_a_week": lazy("Due within a week"),
}


@get("/hkmo/milestones", name="hkmo.milestones", guards=[READ], include_in_schema=False)
async def milestone_queues(request: Req) -> Template:
    c = caller(request)
    which = request.query_params.get("queue")
    which = which if which in milestones.QUEUES else milestones.QUEUES[0]
    number = positive_int(request.query_params.get("page"))
    size = page_size(request.query_params.get("size"), 50)
    counts, found = await milestones.queue_page(c, which, number=number, size=size)
    return Template("hkmo/milestones.html", context={
        **labels(c), "counts": counts, "page": found, "which": which, "page_sizes": PAGE_SIZES,
        "queues": [(k, _(v)) for k, v in QUEUE_LABELS.items()], "names": await grants.program_names(c),
        "milestone_label": plans.milestone_label,
    })  # fmt: skip


ROUTES = [milestone_queues]
