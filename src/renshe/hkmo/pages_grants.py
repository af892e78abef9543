"""港澳青年资助页面 — the district's grants: the list, one grant (its tranches with their
milestones, the ledger and balance, clawbacks) and every step on it: submit, withdraw (clerk),
approve, reject (a reviewer who did not submit), a milestone's evidence (clerk) and decision
(a reviewer who did not record it), a clawback, an instalment recovered, a write-off. Planning
a grant is in :mod:`renshe.hkmo.pages_grant_new`; the milestone queues in
:mod:`renshe.hkmo.pages_milestones`.

Thin: parse, call the services, render. A refusal re-renders the grant at its status (409, 422)
with the service's message; another district's grant, tranche or clawback is the same 404 as a
missing one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.errors import DomainError, ValidationFailed
from renshe.hkmo import balances, clawbacks, grants, ledger, plans, tranches, vocabulary, youth
from renshe.hkmo.pages import message_of
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.numbers import yuan
from renshe.registry.api import caller
from renshe.registry.forms import failed, text
from renshe.registry.pages_common import download, positive_int
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import format_of, render_off_loop
from renshe.tenancy.toml_files import yuan_to_fen
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size

Req = Request[Any, Any, Any]
READ = requires_roles(*youth.READERS)
CLERK = requires_roles(Role.CLERK)
REVIEWER = requires_roles(Role.REVIEWER)
DONE = {
    "submit": lazy("The grant is submitted for review."), "withdraw": lazy("The grant is withdrawn."),
    "approve": lazy("The grant is approved: its first milestone is due now."),
    "reject": lazy("The grant is rejected."),
    "milestone": lazy("The evidence is recorded: a reviewer decides it next."),
    "decide": lazy("The milestone is decided."), "clawback": lazy("The clawback is recorded."),
    "recover": lazy("The instalment is recorded."),
    "write_off": lazy("The rest of the clawback is written off."),
}  # fmt: skip


# Each form of the grant's page names its fields apart (one page, several forms, unique ids):
# a service's error on ``comment`` belongs to the approve form's ``approve_comment``, and so on.
FORM_FIELDS = {
    "approve": {"comment": "approve_comment"}, "reject": {"comment": "reject_comment"},
    "decide": {"comment": "decision_comment"}, "clawback": {"amount_fen": "amount"},
    "recover": {"amount_fen": "recover_amount", "note": "recover_note"},
    "write_off": {"reason": "write_off_reason"},
    "milestone": {"documents.0": "document", "interest_paid_fen": "interest_paid"},
}  # fmt: skip


def labels(c: Caller) -> dict[str, Any]:
    p = c.principal
    return {
        "grant_state_label": vocabulary.grant_state_label, "tranche_label": vocabulary.tranche_label,
        "clawback_label": vocabulary.clawback_label,
        "ledger_label": lambda k: _(ledger.KIND_LABELS[k]) if k in ledger.KIND_LABELS else k,
        "milestone_label": plans.milestone_label,
        "is_clerk": p.is_district and p.has(Role.CLERK),
        "is_reviewer": p.is_district and p.has(Role.REVIEWER),
        "me": p.user_id, "errors": {}, "values": {},
    }  # fmt: skip


@get("/hkmo/grants", name="hkmo.grants", guards=[READ], include_in_schema=False)
async def grant_list(request: Req) -> Template:
    c = caller(request)
    state = request.query_params.get("state")
    state = state if state in grants.STATES else None
    number = positive_int(request.query_params.get("page"))
    size = page_size(request.query_params.get("size"), 50)
    found = await grants.page_of(c, state=state, number=number, size=size)
    return Template("hkmo/grants.html", context={
        **labels(c), "page": found, "filters": {"state": state} if state else {}, "page_sizes": PAGE_SIZES,
        "states": [(k, _(v)) for k, v in vocabulary.GRANT_STATE_LABELS.items()],
        "names": await grants.program_names(c),
        # the district's money over every grant, summed from the ledgers (one district: the caller's)
        "district_balance": (await balances.of_districts(c))["districts"][0]["balance"],
    })  # fmt: skip


async def _page(request: Req, grant_id: UUID, status: int = 200, **extra: Any) -> Template:
    c = caller(request)
    grant = await grants.get(c, grant_id)
    context = {
        **labels(c), "grant": grant, "names": await grants.program_names(c),
        "reasons": [r.get("text") or r.get("msgid") for r in (grant["evaluation"] or {}).get("reasons", [])],
        "today": date.today(), **extra,
    }  # fmt: skip
    return Template("hkmo/grant.html", context=context, status_code=status)


EXPORT_HEADERS = (
    lazy("Youth"), lazy("Grant"), lazy("Amount"), lazy("Tranches"), lazy("Paid tranches"), lazy("State"),
    lazy("Applied on"),
)  # fmt: skip
EXPORT_LIMIT = 100_000


@get("/hkmo/grants/export", name="hkmo.grants.export", guards=[READ], include_in_schema=False)
async def export(request: Req) -> Response[bytes]:
    """The list as filtered, every row (the youth's name masked as on the page), audited."""
    c = caller(request)
    state = request.query_params.get("state")
    state = state if state in grants.STATES else None
    file_format = format_of(request.query_params.get("format"))
    rows = (await grants.page_of(c, state=state, number=1, size=EXPORT_LIMIT)).items
    await grants.record_export(c, len(rows), file_format, state)
    names = await grants.program_names(c)
    table = [
        [g["youth_name"], names.get(g["program_code"], g["program_code"]), yuan(g["amount_fen"]),
         len(g["tranches"]), sum(1 for t in g["tranches"] if t["state"] == "paid"),
         vocabulary.grant_state_label(g["state"]), g["applied_on"].isoformat()]
        for g in rows
    ]  # fmt: skip
    content = await render_off_loop(
        file_format, [_(h) for h in EXPORT_HEADERS], table, _("HK/MO youth grants")
    )
    return download(content, file_format, "hkmo-grants")


@get("/hkmo/grants/{grant_id:uuid}", name="hkmo.grants.detail", guards=[READ], include_in_schema=False)
async def grant_page(request: Req, grant_id: FromPath[UUID]) -> Template:
    return await _page(request, grant_id)


def _version(form: Any) -> int | None:
    raw = text(form, "version")
    return int(raw) if raw.isascii() and raw.isdigit() else None


def _fen(raw: str) -> int:
    """Yuan as typed (``1,200.50``) → fen; 0 for anything else (the service then names the field)."""
    return _fen_or_none(raw) or 0


def _fen_or_none(raw: str) -> int | None:
    """Yuan as typed → fen; None when empty or unreadable (never 0 for a typo: a statement of 0
    ends a loan's subsidy)."""
    try:
        return yuan_to_fen(raw.replace(",", "").replace("¥", "").strip()) if raw.strip() else None
    except ValueError:
        return None


async def _step(
    request: Req, grant_id: UUID, action: str, run: Callable[[Caller, Any], Awaitable[Any]]
) -> Template | Redirect:
    """Run one step from a form on the grant's page; back to the page, or the page with the refusal."""
    form = await request.form()
    try:
        await run(caller(request), form)
    except ValidationFailed as exc:
        named = FORM_FIELDS.get(action, {})
        errors = {named.get(k, k): v for k, v in failed(exc).items()}
        return await _page(request, grant_id, 422, errors=errors, values=dict(form), failed_action=action)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _page(request, grant_id, exc.status_code, flashes=[("danger", message_of(exc))])
    await flash.push(request, "success", DONE[action])
    return Redirect(f"/hkmo/grants/{grant_id}", status_code=303)


@post(
    "/hkmo/grants/{grant_id:uuid}/{action:str}",
    name="hkmo.grants.step",
    guards=[READ],
    include_in_schema=False,
)
async def grant_step(request: Req, grant_id: FromPath[UUID], action: FromPath[str]) -> Template | Redirect:
    """submit / withdraw (clerk), approve / reject (reviewer), clawback (clerk)."""
    steps: dict[str, Callable[[Caller, Any], Awaitable[Any]]] = {
        "submit": lambda c, f: grants.submit(c, grant_id, _version(f)),
        "withdraw": lambda c, f: grants.withdraw(c, grant_id, _version(f)),
        "approve": lambda c, f: grants.approve(c, grant_id, _version(f), text(f, "approve_comment") or None),
        "reject": lambda c, f: grants.reject(c, grant_id, _version(f), text(f, "reject_comment") or None),
        "clawback": lambda c, f: clawbacks.record(c, grant_id, _fen(text(f, "amount")), text(f, "reason")),
    }
    if action not in steps:
        raise NotFoundException()
    return await _step(request, grant_id, action, steps[action])


async def _grant_of_tranche(c: Caller, tranche_id: UUID) -> UUID:
    return (await tranches.get(c, tranche_id))["grant_id"]


@post("/hkmo/tranches/{tranche_id:uuid}/{action:str}", name="hkmo.tranches.step", guards=[READ],
      include_in_schema=False)  # fmt: skip
async def tranche_step(
    request: Req, tranche_id: FromPath[UUID], action: FromPath[str]
) -> Template | Redirect:
    """milestone (clerk: met or not, a note, one document's name and date), decide (reviewer)."""
    grant_id = await _grant_of_tranche(caller(request), tranche_id)

    async def milestone(c: Caller, f: Any) -> Any:
        name, dated = text(f, "document"), text(f, "dated")
        documents: tuple[tranches.Document, ...] = ()
        if name or dated:
            try:
                documents = (tranches.Document(name, date.fromisoformat(dated)),)
            except ValueError:
                raise ValidationFailed({"documents.0": tranches.BAD_DOCUMENT}) from None
        paid = _fen_or_none(text(f, "interest_paid"))
        evidence = tranches.Evidence(text(f, "met") == "true", text(f, "evidence") or None, documents, paid)
        return await tranches.record_milestone(c, tranche_id, evidence, _version(f))

    async def decide(c: Caller, f: Any) -> Any:
        met, said = text(f, "decision") == "true", text(f, "decision_comment") or None
        return await tranches.decide(c, tranche_id, met, said, _version(f))

    steps = {"milestone": milestone, "decide": decide}
    if action not in steps:
        raise NotFoundException()
    return await _step(request, grant_id, action, steps[action])


@post("/hkmo/clawbacks/{clawback_id:uuid}/{action:str}", name="hkmo.clawbacks.step", guards=[READ],
      include_in_schema=False)  # fmt: skip
async def clawback_step(
    request: Req, clawback_id: FromPath[UUID], action: FromPath[str]
) -> Template | Redirect:
    """recover (clerk: an instalment), write_off (a reviewer who did not record it)."""
    grant_id = (await clawbacks.get(caller(request), clawback_id))["grant_id"]
    steps: dict[str, Callable[[Caller, Any], Awaitable[Any]]] = {
        "recover": lambda c, f: clawbacks.recover(
            c, clawback_id, _fen(text(f, "recover_amount")), text(f, "recover_note") or None
        ),
        "write_off": lambda c, f: clawbacks.write_off(c, clawback_id, text(f, "write_off_reason")),
    }
    if action not in steps:
        raise NotFoundException()
    return await _step(request, grant_id, action, steps[action])


ROUTES = [grant_list, export, grant_page, grant_step, tranche_step, clawback_step]
