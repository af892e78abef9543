"""补贴申请页面 — the clerk's pages for subsidy applications: the list (filters, sort, pages,
CSV/XLSX export, masked), one application (state, amount, policy version, masked payee, frozen
snapshot, timeline, objections, what the caller may do now) and its actions: submit, withdraw
(optimistic locking on the version shown), record an objection during notice, fix the payee
account after a failed payment. Entering a new application is in :mod:`pages_new`.

Thin: parse, call :mod:`service` / :mod:`notice`, render. Another district's application
answers the same 404 page as a missing one; a refused action re-renders the page with the
service's message and changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.accounts.display import actor_name
from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import tenant_transaction
from renshe.errors import DomainError, NotFound, ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import READING
from renshe.registry.forms import failed, parse_day, text
from renshe.registry.masking import mask_name
from renshe.registry.pages_common import download, positive_int
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import format_of, render_off_loop
from renshe.subsidies.applications import listing, notice, pages_new, service, store
from renshe.subsidies.applications.api import caller
from renshe.subsidies.applications.pages_forms import (
    RESOLUTION_LABELS,
    SORT_LABELS,
    STATE_LABELS,
    fact_rows,
    list_filter,
    message_of,
    program_name,
    reasons,
    state_label,
    version_of,
)
from renshe.subsidies.applications.pages_new import Req
from renshe.subsidies.programs import service as programs
from renshe.tenancy.names import unit_name
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size
from renshe.web.templating import format_datetime, format_yuan

CLERK = requires_roles(Role.CLERK)
OBJECT = requires_roles(Role.CLERK, Role.REVIEWER)
DONE = {
    "submitted": lazy("The application is submitted for review."),
    "withdrawn": lazy("The application is withdrawn."),
    "objection": lazy("The objection is recorded; the award is on hold until a reviewer resolves it."),
    "payee": lazy("The payee account is updated from the registry; the award is ready for payment again."),
    "approved": lazy("The application is approved and in public notice."),
    "rejected": lazy("The application is rejected."),
    "resolved": lazy("The objection is resolved."),
}
EXPORT_HEADERS = (
    lazy("Reference"), lazy("Program"), lazy("Beneficiary"), lazy("State"), lazy("Amount (yuan)"),
    lazy("Application date"), lazy("Payee account"), lazy("District"), lazy("Created at"),
)  # fmt: skip


def common(c: Caller) -> dict[str, Any]:
    p = c.principal
    return {
        "state_label": state_label,
        "program_name": program_name,
        "is_clerk": p.is_district and p.has(Role.CLERK),
        "is_reviewer": p.is_district and p.has(Role.REVIEWER),
        "city_view": not p.is_district,
    }


# ---------------------------------------------------------------- list and export


@get("/subsidies/applications", name="applications.list", guards=READING, include_in_schema=False)
async def application_list(request: Req) -> Template:
    c = caller(request)
    f, keep, sort = list_filter(request.query_params)
    units = c.reading()
    async with tenant_transaction(c.context()):
        number = positive_int(request.query_params.get("page"))
        size = page_size(request.query_params.get("size"), listing.PAGE_SIZE)
        found = await listing.page(units, f, sort, number, size)
        catalogue = await listing.programs()
    return Template(
        "subsidies/applications/list.html",
        context={
            "page": found, "filters": keep, "sort": sort, "programs": catalogue, "page_sizes": PAGE_SIZES,
            "states": [(k, _(v)) for k, v in STATE_LABELS.items()],
            "sorts": [(k, _(v)) for k, v in SORT_LABELS.items()], **common(c),
        },
    )  # fmt: skip


def export_rows(rows: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            r["reference"], program_name(r), r["beneficiary"], state_label(r["state"]),
            format_yuan(r["amount_fen"]), r["application_date"].isoformat(),
            r["payee_account_masked"] or "", unit_name(r["district_code"]), format_datetime(r["created_at"]),
        ]
        for r in rows
    ]  # fmt: skip


async def audited_export(
    c: Caller, kind: str, rows: list[dict[str, Any]], file_format: str, **extra: Any
) -> None:
    """Every export leaves an audit record (what list, how many rows), masked as the file is."""
    await audit.record(
        c.principal.org_unit.id, c.actor, f"{kind}.exported", object_type=kind,
        after={"rows": len(rows), "format": file_format, **extra},
    )  # fmt: skip


@get("/subsidies/applications/export", name="applications.export", guards=READING, include_in_schema=False)
async def application_export(request: Req) -> Response[bytes]:
    """The filtered list as CSV or XLSX: names and accounts masked, formulas neutralised."""
    c = caller(request)
    file_format = format_of(request.query_params.get("format"))
    f, keep, sort = list_filter(request.query_params)
    units = c.reading()
    async with tenant_transaction(c.context()):
        rows = await listing.everything(units, f, sort)
        await audited_export(c, "application_list", rows, file_format, filters=keep)
    content = await render_off_loop(
        file_format, [_(h) for h in EXPORT_HEADERS], export_rows(rows), _("Applications")
    )
    return download(content, file_format, "applications")


# ---------------------------------------------------------------- one application


async def detail_context(c: Caller, application_id: UUID, *, signals: bool = False) -> dict[str, Any]:
    """Everything the application pages show of one application (404 if not visible here)."""
    from renshe.subsidies.applications import signals as fraud  # written alongside; loaded late

    units = c.reading()
    async with tenant_transaction(c.context()):
        row = await listing.one(units, application_id)
        if row is None:
            raise NotFound(store.NOT_FOUND)
        events = await store.history(row["tenant_id"], application_id)
        objections = [
            {**dict(o), "recorded_by_name": actor_name(o, "recorder_"),
             "resolved_by_name": actor_name(o, "resolver_")}
            for o in await store.conn().fetch(
                """SELECT o.*, o.recorded_by AS recorder_user_id, u.username AS recorder_username,
                          u.display_name AS recorder_display_name, u.active AS recorder_active,
                          o.resolved_by AS resolver_user_id, r.username AS resolver_username,
                          r.display_name AS resolver_display_name, r.active AS resolver_active
                   FROM objections o
                   LEFT JOIN users u ON u.id = o.recorded_by LEFT JOIN users r ON r.id = o.resolved_by
                   WHERE o.tenant_id = $1 AND o.application_id = $2 ORDER BY o.recorded_at, o.id""",
                row["tenant_id"], application_id,
            )
        ]  # fmt: skip
        policy = await listing.policy_version(row["policy_version_id"])
        try:
            terms = (
                await programs.version_in_force(
                    row["program_code"], row["tenant_id"], row["application_date"]
                )
            ).terms
            facts = fact_rows(terms.facts, store.as_json(row["facts"]) or {})
        except DomainError:
            facts = [(k, str(v)) for k, v in (store.as_json(row["facts"]) or {}).items()]
        # the signals read the application row as stored (the payee account sealed)
        found = await fraud.signals_for(c, await store.load(list(units), application_id)) if signals else []
        # before approval freezes it, the reviewer sees the payee the registry holds now (masked)
        payee_now = await store.registry_payee(row) if signals and not row["payee_account_masked"] else None
    evaluation = store.as_json(row["evaluation"]) or {}
    state = row["state"]
    p = c.principal
    clerk, reviewer = p.is_district and p.has(Role.CLERK), p.is_district and p.has(Role.REVIEWER)
    return {
        "app": row, "events": events, "objections": [dict(o) for o in objections], "policy": policy,
        "facts": facts, "evaluation": evaluation, "reasons": reasons(evaluation), "signals": found,
        "payee_now": payee_now and {
            "name": mask_name(payee_now["payee_name"] or "") if row["person_id"] else payee_now["payee_name"],
            "account": payee_now["payee_account_masked"], "bank": payee_now["payee_bank_name"],
        },
        "resolution_labels": {k: _(v) for k, v in RESOLUTION_LABELS.items()},
        "actions": {
            "submit": clerk and state == "draft",
            "withdraw": clerk and state in ("draft", "submitted"),
            "decide": reviewer and state == "submitted",
            "object": (clerk or reviewer) and state in ("in_notice", "ready", "on_hold"),
            "resolve": reviewer and state == "on_hold",
            "fix_payee": clerk and state == "payment_failed",
        },
        "errors": {}, "values": {}, "problem": None, **common(c),
    }  # fmt: skip


async def detail_page(
    request: Req, application_id: UUID, status: int = 200, template: str = "detail", **extra: Any
) -> Template:
    c = caller(request)
    context = await detail_context(c, application_id, signals=template == "review")
    context.update(**extra)
    return Template(f"subsidies/applications/{template}.html", context=context, status_code=status)


@get("/subsidies/applications/{application_id:uuid}", name="applications.detail", guards=READING,
     include_in_schema=False)  # fmt: skip
async def application_detail(request: Req, application_id: FromPath[UUID]) -> Template:
    return await detail_page(request, application_id)


async def act(request: Req, application_id: UUID, done: str, action: Any, template: str = "detail") -> Any:
    """Run one action; refused → the page again with the service's message, nothing applied."""
    c = caller(request)
    async with tenant_transaction(c.context()):  # another district's (or no) application: 404 first
        await store.load(list(c.reading()), application_id)
    try:
        await action(c)
    except NotFound:
        raise
    except ValidationFailed as exc:
        return await detail_page(request, application_id, exc.status_code, template, errors=failed(exc))
    except DomainError as exc:
        return await detail_page(request, application_id, exc.status_code, template, problem=message_of(exc))
    await flash.push(request, "success", DONE[done])
    path = "/subsidies/review" if template == "review" else "/subsidies/applications"
    return Redirect(f"{path}/{application_id}", status_code=303)


@post("/subsidies/applications/{application_id:uuid}/submit", name="applications.submit", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def submit(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    return await act(
        request,
        application_id,
        "submitted",
        lambda c: service.submit(c, application_id, version_of(form), text(form, "comment") or None),
    )


@post("/subsidies/applications/{application_id:uuid}/withdraw", name="applications.withdraw",
      guards=[CLERK], include_in_schema=False)  # fmt: skip
async def withdraw(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    return await act(
        request,
        application_id,
        "withdrawn",
        lambda c: service.withdraw(c, application_id, version_of(form), text(form, "comment") or None),
    )


@post("/subsidies/applications/{application_id:uuid}/objections", name="applications.objection",
      guards=[OBJECT], include_in_schema=False)  # fmt: skip
async def record_objection(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    """A clerk records an objection (异议) raised during public notice: who, when, what."""
    form = await request.form()
    values = {k: text(form, k) for k in ("raised_by", "raised_on", "content")}
    day = parse_day(values["raised_on"]) if values["raised_on"] else store.today()
    if day is None:  # (another district's application: the page answers 404 first)
        errors = {"raised_on": _("Enter a date as YYYY-MM-DD.")}
        return await detail_page(request, application_id, 422, errors=errors, values=values)
    answer = await act(
        request,
        application_id,
        "objection",
        lambda c: notice.record_objection(
            c, application_id, raised_by=values["raised_by"], content=values["content"], raised_on=day
        ),
    )
    if isinstance(answer, Template):
        answer.context["values"] = values
    return answer


@post("/subsidies/applications/{application_id:uuid}/correct-payee", name="applications.correct_payee",
      guards=[CLERK], include_in_schema=False)  # fmt: skip
async def correct_payee(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    """After a failed payment: take the bank account as the registry now holds it (fixed
    there first) as the award's new payee snapshot; the award is ready again."""
    form = await request.form()
    return await act(
        request,
        application_id,
        "payee",
        lambda c: notice.correct_payee(c, application_id, version_of(form), text(form, "comment") or None),
    )


ROUTES = [
    application_list, application_export, *pages_new.ROUTES, application_detail,
    submit, withdraw, record_objection, correct_payee,
]  # fmt: skip
