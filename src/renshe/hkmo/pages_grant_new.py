"""申报港澳青年资助 — a clerk plans a grant for a youth (from the youth's page): the grant type, a
rent grant's years, and the program's own facts (fields generated from its fact definitions, as
on the subsidy application form). The draft is saved with its evaluation: eligible, it shows its
tranches and can be submitted; not eligible, it shows every reason.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
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
from renshe.hkmo import grants, loans, plans, youth
from renshe.hkmo.pages import message_of
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import caller
from renshe.registry.forms import failed, text
from renshe.registry.service import Caller
from renshe.subsidies.applications.pages_forms import fact_fields, fact_values, facts_for_service
from renshe.subsidies.programs import service as programs
from renshe.subsidies.programs.model import BeneficiaryKind
from renshe.tenancy.toml_files import yuan_to_fen
from renshe.web import flash

Req = Request[Any, Any, Any]
CLERK = requires_roles(Role.CLERK)
CREATED = lazy("The grant is saved as a draft.")
CHOOSE = lazy("Choose one of the Hong Kong and Macao youth grants.")
LOAN_FIELDS = ("bank", "principal", "rate", "term_months", "period_months", "starts_on")
LOAN_FACTS = frozenset({"facts.loan_principal_fen", "facts.interest_paid_fen"})


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
        "rent": chosen == plans.YEARLY, "loan_program": chosen == plans.LOAN,
        "loan": {k: text(form, f"loan.{k}") for k in LOAN_FIELDS},
        "periods": [(str(p), str(p)) for p in loans.PERIODS],
    }  # fmt: skip

    if chosen is not None:
        version = await _version(c, chosen)
        shown = fact_fields(version.terms.facts, BeneficiaryKind.PERSON, fact_values(form))
        # a loan's own fields stand for its principal and a period's interest
        context["fields"] = [f for f in shown if f.name not in LOAN_FACTS] if chosen == plans.LOAN else shown
        context["documents"] = version.terms.required_documents
    return Template("hkmo/grant_new.html", context=context, status_code=status)


async def _version(c: Caller, program: str) -> programs.PolicyVersion:
    async with tenant_transaction(c.context()):
        return await programs.version_in_force(program, c.principal.org_unit.id, clock.today())


def _loan(form: Any) -> loans.Loan:
    """The loan as typed (principal in yuan, rate in percent); what cannot be read becomes a value
    the service refuses, naming the field."""
    try:
        principal = yuan_to_fen(text(form, "loan.principal").replace(",", ""))
    except ValueError:
        principal = 0
    try:
        rate = Decimal(text(form, "loan.rate").rstrip("%")) * 100
        rate_bp = int(rate) if rate == rate.to_integral_value() else 0
    except InvalidOperation:
        rate_bp = 0
    try:
        starts_on = date.fromisoformat(text(form, "loan.starts_on"))
    except ValueError:
        starts_on = date(1, 1, 1)
    term, period = text(form, "loan.term_months"), text(form, "loan.period_months")
    return loans.Loan(
        text(form, "loan.bank"), principal, rate_bp, int(term) if term.isascii() and term.isdigit() else 0,
        int(period) if period.isascii() and period.isdigit() else 0, starts_on,
    )  # fmt: skip


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
            errors["years"] = _(plans.RENT_YEARS)
    loan = _loan(form) if program == plans.LOAN else None
    if errors:
        return await _page(request, form, 422, errors=errors)
    try:
        row = await grants.create(c, grants.GrantDraft(youth_id, program, facts, years, loan))
    except ValidationFailed as exc:
        named = {"loan.principal_fen": "loan.principal", "loan.annual_rate_bp": "loan.rate"}
        return await _page(request, form, 422, errors={named.get(k, k): v for k, v in failed(exc).items()})
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _page(request, form, exc.status_code, errors={"program": message_of(exc)})
    await flash.push(request, "success", CREATED)
    return Redirect(f"/hkmo/grants/{row['id']}", status_code=303)


ROUTES = [new_form, create]
