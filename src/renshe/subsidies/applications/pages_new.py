"""录入申请 — the clerk enters an application: the beneficiary (a person found by exact
document, an enterprise by its credit code, or preselected from the registry page with
``?person_id=`` / ``?enterprise_id=``), the program of the catalogue, and the program's own
facts (fields generated from its fact definitions). An eligible application is saved as a
draft with its computed amount; an ineligible one shows every reason and nothing is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.errors import DomainError, NotFound, ValidationFailed
from renshe.i18n import current_locale, lazy
from renshe.i18n import gettext as _
from renshe.registry import service as registry
from renshe.registry.forms import failed, text
from renshe.registry.pages_common import choices
from renshe.registry.service import Caller
from renshe.subsidies.applications import service
from renshe.subsidies.applications.api import caller
from renshe.subsidies.applications.pages_forms import (
    application_day,
    fact_fields,
    fact_values,
    facts_for_service,
    message_of,
    uuid_or_404,
)
from renshe.subsidies.applications.store import today
from renshe.subsidies.programs import offers
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.model import Beneficiary, BeneficiaryKind
from renshe.web import flash

Req = Request[Any, Any, Any]
CLERK = requires_roles(Role.CLERK)
CHOOSE_PROGRAM = lazy("Choose a program offered to this beneficiary.")
NO_PERSON = lazy("No person with this document is registered here.")
NO_ENTERPRISE = lazy("No enterprise with this credit code is registered here.")
NEW = "subsidies/applications/new.html"
CREATED = lazy("The application is saved as a draft.")


async def _beneficiary(c: Caller, q: Any) -> dict[str, Any] | None:
    """The preselected beneficiary (404 for another district's or an unknown id)."""
    if q.get("person_id"):
        person = await registry.get_person(c, uuid_or_404(q.get("person_id")))
        return {
            "kind": BeneficiaryKind.PERSON,
            "subject": programs.beneficiary_of_person(person),
            "field": "person_id",
            "id": person.id,
            "label": person.masked_name,
            "href": f"/registry/people/{person.id}",
        }
    if q.get("enterprise_id"):
        enterprise = await registry.get_enterprise(c, uuid_or_404(q.get("enterprise_id")))
        return {
            "kind": BeneficiaryKind.ENTERPRISE,
            "subject": programs.beneficiary_of_enterprise(enterprise),
            "field": "enterprise_id",
            "id": enterprise.id,
            "label": f"{enterprise.name}({enterprise.uscc})",
            "href": f"/registry/enterprises/{enterprise.id}",
        }
    return None


async def _offers(c: Caller, beneficiary: Beneficiary, on: date) -> dict[str, programs.PolicyVersion]:
    """Programs with a version in force here on ``on`` that this beneficiary can possibly get
    (their own rules, read on what the registry knows: see :mod:`programs.offers`)."""
    async with tenant_transaction(c.context()):
        found = await programs.versions_in_force(c.principal.org_unit.id, on)
    return {
        p.info.code: v
        for p, v in found
        if v is not None
        and p.info.family not in service.NOT_APPLIED_FOR
        and offers.possible(v, beneficiary, on)
    }


def _name(policy: programs.PolicyVersion) -> str:
    info = policy.program
    return info.name_en if current_locale.get() == "en" else info.name_zh


async def _page(
    request: Req, form: Any, status: int = 200, *, errors: dict[str, str] | None = None, **extra: Any
) -> Template:
    c = caller(request)
    beneficiary = await _beneficiary(c, form)
    context: dict[str, Any] = {
        "beneficiary": beneficiary, "errors": errors or {}, "choices": choices(), "program": None,
        "programs": [], "fields": [], "application_date": text(form, "application_date"), **extra,
    }  # fmt: skip
    if beneficiary is not None:
        day, _errors = application_day(form)
        offered = await _offers(c, beneficiary["subject"], day or today())
        context["programs"] = [(code, _name(v)) for code, v in offered.items()]
        chosen = offered.get(text(form, "program"))
        if chosen is not None:
            context["program"] = chosen.program.code
            context["documents"] = chosen.terms.required_documents
            context["fields"] = fact_fields(chosen.terms.facts, beneficiary["kind"], fact_values(form))
    return Template(NEW, context=context, status_code=status)


@get("/subsidies/applications/new", name="applications.new", guards=[CLERK], include_in_schema=False)
async def new_form(request: Req) -> Template:
    return await _page(request, request.query_params)


@get(
    "/subsidies/applications/new/facts",
    name="applications.new.facts",
    guards=[CLERK],
    include_in_schema=False,
)
async def facts_fragment(request: Req) -> Template:
    """The facts fieldset of the chosen program (HTMX swaps it in when the program changes)."""
    page = await _page(request, request.query_params)
    return Template("subsidies/applications/_facts.html", context=page.context)


@post(
    "/subsidies/applications/new/find", name="applications.new.find", guards=[CLERK], include_in_schema=False
)
async def find_beneficiary(request: Req) -> Template | Redirect:
    """Exact look-up (a POST: the number never travels in a URL); not registered here and
    registered in another district give the same answer."""
    form = await request.form()
    c = caller(request)
    try:
        if text(form, "kind") == "enterprise":
            enterprise = await registry.find_by_uscc(c, text(form, "uscc"))
            return Redirect(f"/subsidies/applications/new?enterprise_id={enterprise.id}", status_code=303)
        person = await registry.find_by_document(c, text(form, "doc_type"), text(form, "number"))
        return Redirect(f"/subsidies/applications/new?person_id={person.id}", status_code=303)
    except ValidationFailed as exc:
        return await _page(request, {}, 422, errors=failed(exc), kind=text(form, "kind"))
    except NotFound:
        field, message = (
            ("uscc", NO_ENTERPRISE) if text(form, "kind") == "enterprise" else ("number", NO_PERSON)
        )
        return await _page(request, {}, 404, errors={field: _(message)}, kind=text(form, "kind"))


@post("/subsidies/applications/new", name="applications.create", guards=[CLERK], include_in_schema=False)
async def create(request: Req) -> Template | Redirect:
    form = await request.form()
    c = caller(request)
    beneficiary = await _beneficiary(c, form)
    if beneficiary is None:
        raise NotFound()
    day, errors = application_day(form)
    chosen = (await _offers(c, beneficiary["subject"], day or today())).get(text(form, "program"))
    if chosen is None:
        return await _page(request, form, 422, errors={**errors, "program": _(CHOOSE_PROGRAM)})
    facts, form_errors = facts_for_service(chosen.terms.facts, fact_values(form))
    errors.update(form_errors)
    if errors:
        return await _page(request, form, 422, errors=errors)
    ids = {beneficiary["field"]: beneficiary["id"]}
    draft = service.Draft(chosen.program.code, facts=facts, application_date=day, **ids)
    try:
        evaluation = await service.assess(c, draft)
    except ValidationFailed as exc:
        return await _page(request, form, 422, errors=failed(exc))
    except NotFound:
        raise
    except DomainError as exc:  # no version in force on that date
        return await _page(request, form, 422, errors={"application_date": message_of(exc)})
    if not evaluation.eligible:
        shown = [
            {"text": r.render(), "children": [k.render() for k in r.children]} for r in evaluation.reasons
        ]
        return await _page(request, form, 422, not_eligible=shown)
    row = await service.create(c, draft)
    await flash.push(request, "success", CREATED)
    return Redirect(f"/subsidies/applications/{row['id']}", status_code=303)


ROUTES = [new_form, facts_fragment, find_beneficiary, create]
