"""申报港澳青年资助 — a clerk plans a grant for a youth (from the youth's page): the grant type, a
rent grant's years, and the program's own facts (fields generated from its fact definitions, as
on the subsidy application form). The draft is saved with its evaluation: eligible, it shows its
tranches and can be submitted; not eligible, it shows every reason.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template

from renshe import clock
from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.db.tenant import tenant_transaction
from renshe.errors import DomainError, ValidationFailed
from renshe.hkmo import grants, plans, youth
from renshe.hkmo.pages import message_of
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import caller
from renshe.registry.forms import failed, text
from renshe.registry.service import Caller
from renshe.subsidies.applications.pages_forms import fact_fields, fact_values, facts_for_service
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.model import BeneficiaryKind
from renshe.web import flash

Req = Request[Any, Any, Any]
CLERK = requires_roles(Role.CLERK)
CREATED = lazy("The grant is saved as a draft.")
CHOOSE = lazy("Choose one of the Hong Kong and Macao youth grants.")
YEARS = lazy("A rent grant runs for 1 to 3 years.")


def _uuid(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        raise NotFoundException() from None


async def _page(
    request: Req, form: Any, status: int = 200, *, errors: dict[str, str] | None = None
) -> Template:
    c = caller(request)
    record = await youth.get(c, _uuid(text(form, "youth_id")))
    names = await grants.program_names(c)
    offered = [(code, name) for code, name in names.items() if code in plans.PLANNED]  # catalogue order
    chosen = text(form, "program") if text(form, "program") in plans.PLANNED else None
    context: dict[str, Any] = {
        "youth": record, "programs": offered, "program": chosen, "fields": [], "documents": (),
        "errors": errors or {}, "years": text(form, "years") or str(plans.MAX_RENT_YEARS),
        "rent": chosen == plans.YEARLY,
    }  # fmt: skip
    if chosen is not None:
        version = await _version(c, chosen)
        context["fields"] = fact_fields(version.terms.facts, BeneficiaryKind.PERSON, fact_values(form))
        context["documents"] = version.terms.required_documents
    return Template("hkmo/grant_new.html", context=context, status_code=status)


async def _version(c: Caller, program: str) -> programs.PolicyVersion:
    async with tenant_transaction(c.context()):
        return await programs.version_in_force(program, c.principal.org_unit.id, clock.today())


@get("/hkmo/grants/new", name="hkmo.grants.new", guards=[CLERK], include_in_schema=False)
async def new_form(request: Req) -> Template:
    return await _page(request, request.query_params)


@post("/hkmo/grants/new", name="hkmo.grants.create", guards=[CLERK], include_in_schema=False)
async def create(request: Req) -> Template | Redirect:
    form = await request.form()
    c = caller(request)
    youth_id = _uuid(text(form, "youth_id"))
    program = text(form, "program")
    if program not in plans.PLANNED:
        return await _page(request, form, 422, errors={"program": _(CHOOSE)})
    version = await _version(c, program)
    facts, errors = facts_for_service(version.terms.facts, fact_values(form))
    years: int | None = None
    if program == plans.YEARLY:
        raw = text(form, "years")
        years = int(raw) if raw.isascii() and raw.isdigit() else 0
        if not 1 <= years <= plans.MAX_RENT_YEARS:
            errors["years"] = _(YEARS)
    if errors:
        return await _page(request, form, 422, errors=errors)
    try:
        row = await grants.create(c, grants.GrantDraft(youth_id, program, facts, years))
    except ValidationFailed as exc:
        return await _page(request, form, 422, errors=failed(exc))
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _page(request, form, exc.status_code, errors={"program": message_of(exc)})
    await flash.push(request, "success", CREATED)
    return Redirect(f"/hkmo/grants/{row['id']}", status_code=303)


ROUTES = [new_form, create]
