"""人才卡申请页面 — the district's talent-card applications: the list (state and person filters,
page sizes, CSV/XLSX export, masked), one application (the evidence, the evaluation of every tier
with its reasons, the employer's confirmation, the card issued, the timeline) and the clerk's
steps on it: record who confirmed for the employer, submit, withdraw (optimistic locking on the
version shown). Entering one is in :mod:`pages_new`; the reviewer's pages in :mod:`pages_review`.

Thin: parse, call :mod:`renshe.talent.applications`, render. A refused step answers the page at
the refusal's status (403, 409, 422) with the service's message; another district's application
is the same 404 as a missing one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.errors import DomainError, NotFound, ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.forms import failed, text
from renshe.registry.pages_common import positive_int
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import format_of
from renshe.talent import application_store as store
from renshe.talent import applications, listing, pages_new
from renshe.talent.pages_common import (
    CLERK,
    KIND_LABELS,
    READ,
    Req,
    application_state_label,
    audited_export,
    caller,
    common,
    district,
    export_file,
    fact_rows,
    refusal,
    tier_label,
    tier_rows,
    version_of,
)
from renshe.talent.states import APPLICATION_STATE_LABELS, APPLICATION_STATES
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size
from renshe.web.templating import format_datetime

DONE = {
    "confirmed": lazy("The employer's confirmation is recorded."),
    "submitted": lazy("The application is submitted for review."),
    "withdrawn": lazy("The application is withdrawn."),
    "approved": lazy('The application is approved: the card is issued tonight, or now with "Issue now".'),
    "rejected": lazy("The application is rejected."),
}
EXPORT_HEADERS = (
    lazy("Application number"), lazy("Kind"), lazy("Person"), lazy("Employer"), lazy("Tier claimed"),
    lazy("Tier approved"), lazy("State"), lazy("Application date"), lazy("Card number"), lazy("Created at"),
)  # fmt: skip


def uuid_or_none(raw: str | None) -> UUID | None:
    try:
        return UUID(raw or "")
    except ValueError:
        return None


def list_filter(q: Any) -> tuple[listing.ApplicationFilter, dict[str, str]]:
    """The filter from the query string, and the parameters to keep across pages."""
    state = q.get("state") if q.get("state") in APPLICATION_STATES else None
    person_id = uuid_or_none(q.get("person_id"))
    keep = {"state": state or "", "person_id": str(person_id) if person_id else ""}
    return listing.ApplicationFilter(state, person_id), {k: v for k, v in keep.items() if v}


# ---------------------------------------------------------------- list and export


@get("/talent/applications", name="talent.applications", guards=[READ], include_in_schema=False)
async def application_list(request: Req) -> Template:
    c = caller(request)
    tenant_id = district(c)
    f, keep = list_filter(request.query_params)
    number = positive_int(request.query_params.get("page"))
    size = page_size(request.query_params.get("size"), listing.PAGE_SIZE)
    async with tenant_transaction(c.context()):
        found = await listing.applications_page(tenant_id, f, number, size)
    person = next((a["person_masked"] for a in found.items), None) if f.person_id else None
    return Template(
        "talent/applications.html",
        context={
            **common(c), "page": found, "filters": keep, "page_sizes": PAGE_SIZES, "person": person,
            "states": [(k, _(v)) for k, v in APPLICATION_STATE_LABELS.items()],
        },
    )  # fmt: skip


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def export_rows(rows: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            r["number"], kind_label(r["kind"]), r["person_masked"], r["employer_name"] or "",
            tier_label(r["tier_claimed"]), tier_label(r["tier_approved"]),
            application_state_label(r["state"]),
            r["application_date"].isoformat(), r["card_no"] or "", format_datetime(r["created_at"]),
        ]
        for r in rows
    ]  # fmt: skip


@get("/talent/applications/export", name="talent.applications.export", guards=[READ], include_in_schema=False)
async def application_export(request: Req) -> Response[bytes]:
    """The filtered list as CSV or XLSX: names masked, no identity numbers, formulas neutralised."""
    c = caller(request)
    tenant_id = district(c)
    f, keep = list_filter(request.query_params)
    file_format = format_of(request.query_params.get("format"))
    async with tenant_transaction(c.context()):
        rows = await listing.all_applications(tenant_id, f)
        await audited_export(c, "talent_application_list", rows, file_format, filters=keep)
    return await export_file(
        request, EXPORT_HEADERS, export_rows(rows), _("Talent-card applications"), "talent-applications"
    )


# ---------------------------------------------------------------- one application


async def detail_context(c: Caller, application_id: UUID) -> dict[str, Any]:
    """Everything the application pages show of one application (404 if not this district's)."""
    tenant_id = district(c)
    async with tenant_transaction(c.context()):
        row = await listing.one_application(tenant_id, application_id)
        if row is None:
            raise NotFound(store.NOT_FOUND)
        events = await store.history(tenant_id, application_id)
    evaluation = store.as_json(row["evaluation"]) or {}
    state = row["state"]
    p = c.principal
    clerk, reviewer = p.is_district and p.has(Role.CLERK), p.is_district and p.has(Role.REVIEWER)
    own = row["submitted_by"] is not None and row["submitted_by"] == c.actor.user_id
    return {
        **common(c), "app": row, "events": events, "facts": fact_rows(store.as_json(row["facts"]) or {}),
        "tier_rows": tier_rows(evaluation), "best_tier": evaluation.get("best_tier"),
        "lower_tiers": [(t, tier_label(t)) for t in ("A", "B", "C") if t >= row["tier_claimed"]],
        "own_submission": own, "own_submission_text": _(applications.OWN_SUBMISSION),
        "actions": {
            "confirm": clerk and state in ("draft", "submitted"),
            "submit": clerk and state == "draft",
            "withdraw": clerk and state in ("draft", "submitted"),
            "review": reviewer and state == "submitted",
            "decide": reviewer and state == "submitted" and not own,
        },
    }  # fmt: skip


async def detail_page(
    c: Caller, application_id: UUID, status: int = 200, template: str = "application", **extra: Any
) -> Template:
    context = await detail_context(c, application_id)
    context.update(extra)
    return Template(f"talent/{template}.html", context=context, status_code=status)


@get("/talent/applications/{application_id:uuid}", name="talent.application", guards=[READ],
     include_in_schema=False)  # fmt: skip
async def application_detail(request: Req, application_id: FromPath[UUID]) -> Template:
    return await detail_page(caller(request), application_id)


async def act(
    request: Req, application_id: UUID, done: str, action: Any, *, template: str = "application",
    values: dict[str, str] | None = None,
) -> Template | Redirect:  # fmt: skip
    """Run one step; refused → the page again at the refusal's status with the service's message,
    nothing applied. Another district's (or no) application: 404 before anything is read."""
    c = caller(request)
    tenant_id = district(c)
    async with tenant_transaction(c.context()):
        await store.load([tenant_id], application_id)
    try:
        await action(c)
    except NotFound:
        raise
    except ValidationFailed as exc:
        return await detail_page(c, application_id, exc.status_code, template, errors=failed(exc),
                                 values=values or {}, **refusal(exc))  # fmt: skip
    except DomainError as exc:
        return await detail_page(c, application_id, exc.status_code, template, values=values or {},
                                 **refusal(exc))  # fmt: skip
    await flash.push(request, "success", DONE[done])
    return Redirect(f"/talent/applications/{application_id}", status_code=303)


@post("/talent/applications/{application_id:uuid}/confirm-employer", name="talent.application.confirm",
      guards=[CLERK], include_in_schema=False)  # fmt: skip
async def confirm_employer(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    """单位确认: who confirmed for the employer (name, post, how), recorded with the time."""
    form = await request.form()
    who = text(form, "comment")  # the service names this field "comment"
    return await act(
        request, application_id, "confirmed",
        lambda c: applications.confirm_employer(c, application_id, version_of(form), who),
        values={"comment": who},
    )  # fmt: skip


@post("/talent/applications/{application_id:uuid}/submit", name="talent.application.submit", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def submit(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    return await act(
        request, application_id, "submitted",
        lambda c: applications.submit(c, application_id, version_of(form), text(form, "comment") or None),
    )  # fmt: skip


@post("/talent/applications/{application_id:uuid}/withdraw", name="talent.application.withdraw",
      guards=[CLERK], include_in_schema=False)  # fmt: skip
async def withdraw(request: Req, application_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    return await act(
        request, application_id, "withdrawn",
        lambda c: applications.withdraw(c, application_id, version_of(form), text(form, "comment") or None),
    )  # fmt: skip


ROUTES = [
    application_list, application_export, *pages_new.ROUTES, application_detail, confirm_employer, submit,
    withdraw,
]  # fmt: skip
