"""人才卡申请录入 — the clerk enters a talent-card application for a registered person: the person
(found by exact document, or preselected with ``?person_id=`` from the registry), the employer from
the district's registry (by its unified social credit code), the tier claimed and the evidence —
qualifications as checkboxes in the vocabulary's words, months of social insurance, the contract's
end, the annual salary (optional) and the civil-servant flag.

The service judges it at once: evidence that does not meet the claimed tier answers 422 with every
reason in place and the tiers the evidence does meet; nothing is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.response import Redirect, Template

from renshe import clock
from renshe.db.tenant import tenant_transaction
from renshe.errors import DomainError, NotFound, ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry import service as registry
from renshe.registry.forms import failed, parse_day, text
from renshe.registry.pages_common import choices, person_from_document_form
from renshe.registry.service import Caller
from renshe.subsidies.applications.pages_forms import uuid_or_404
from renshe.subsidies.programs.vocabulary import choice_label
from renshe.talent import applications, tiers
from renshe.talent.pages_common import CLERK, Req, caller, common, message_of, tier_label
from renshe.tenancy.toml_files import yuan_to_fen
from renshe.web import flash

NEW = "talent/new.html"
CREATED = lazy("The talent-card application is saved as a draft.")
NO_EMPLOYER = lazy("No enterprise with this credit code is registered here.")
ENTER_MONTHS = lazy("Enter a whole number of months from 0 to 600.")
ENTER_DATE = lazy("Enter a date as YYYY-MM-DD.")
ENTER_YUAN = lazy("Enter an amount in yuan with at most two decimals.")
CHOOSE_TIER = lazy("Choose tier A, B or C.")
# the service's error keys → the form's fields
FIELD_OF = {
    "employer_id": "employer_uscc",
    "facts.social_insurance_months": "social_insurance_months",
    "facts.qualifications": "qualifications",
    "facts.annual_salary_fen": "annual_salary",
    "facts.civil_servant": "civil_servant",
}
FIELDS = ("tier_claimed", "employer_uscc", "social_insurance_months", "contract_end", "annual_salary")


async def qualification_options(c: Caller) -> list[tuple[str, str]]:
    """(code, words) of the tiers' ``qualifications`` choices, highest first, as the programs
    catalogue holds them for the district today."""
    seen: dict[str, str] = {}
    async with tenant_transaction(c.context()):
        for tier in tiers.TIERS:
            policy = await tiers.version(tier, c.principal.org_unit.id, clock.today())
            for spec in policy.terms.facts:
                if spec.name == "qualifications":
                    seen.update((code, choice_label(code)) for code in spec.choices if code not in seen)
    return list(seen.items())


async def _person(c: Caller, raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    person = await registry.get_person(c, uuid_or_404(raw))  # another district's: 404
    return {"id": person.id, "label": person.masked_name, "href": f"/registry/people/{person.id}"}


def _values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {k: text(form, k) for k in FIELDS}
    values["qualifications"] = (
        [str(v) for v in form.getall("qualifications")] if "qualifications" in form else []
    )
    values["civil_servant"] = text(form, "civil_servant") == "1"
    return values


async def _page(
    request: Req, person_raw: str | None, status: int = 200, *, errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None, **extra: Any,
) -> Template:  # fmt: skip
    c = caller(request)
    person = await _person(c, person_raw)
    context: dict[str, Any] = {
        **common(c), "person": person, "choices": choices(), "errors": errors or {},
        "values": values or {"tier_claimed": "B", "qualifications": [], "civil_servant": False},
        "tiers": [(t, tier_label(t)) for t in tiers.TIERS],
        "qualifications": await qualification_options(c) if person else [], "reasons": [], "met": None,
        **extra,
    }  # fmt: skip
    return Template(NEW, context=context, status_code=status)


@get("/talent/applications/new", name="talent.applications.new", guards=[CLERK], include_in_schema=False)
async def new_form(request: Req) -> Template:
    return await _page(request, request.query_params.get("person_id"))


@post("/talent/applications/new/find", name="talent.applications.find", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def find_person(request: Req) -> Template | Redirect:
    """Exact look-up (a POST: the number never travels in a URL); not registered here and
    registered in another district give the same answer."""
    person, status, errors = await person_from_document_form(caller(request), await request.form())
    if person is None:
        return await _page(request, None, status, errors=errors)
    return Redirect(f"/talent/applications/new?person_id={person.id}", status_code=303)


def _parse(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form's values as the service takes them, and the errors the form itself finds."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    if values["tier_claimed"] not in tiers.TIERS:
        errors["tier_claimed"] = _(CHOOSE_TIER)
    months = values["social_insurance_months"]
    if months.isascii() and months.isdigit() and int(months) <= 600:
        parsed["months"] = int(months)
    else:
        errors["social_insurance_months"] = _(ENTER_MONTHS)
    day = parse_day(values["contract_end"]) if values["contract_end"] else None
    if day is None:
        errors["contract_end"] = _(ENTER_DATE)
    parsed["contract_end"] = day
    parsed["salary"] = None
    if values["annual_salary"]:
        try:
            parsed["salary"] = yuan_to_fen(values["annual_salary"])
        except ValueError:
            errors["annual_salary"] = _(ENTER_YUAN)
    return parsed, errors


def _split(exc: ValidationFailed) -> tuple[dict[str, str], list[str]]:
    """(field errors on the form's fields, the reasons a tier is not met, in order)."""
    shown = failed(exc)
    reasons = [shown[k] for k in sorted((k for k in shown if k.startswith("reasons[")), key=_index)]
    fields = {FIELD_OF.get(k, k): v for k, v in shown.items() if not k.startswith("reasons[")}
    return fields, reasons


def _index(key: str) -> int:
    inside = key[len("reasons[") : -1]
    return int(inside) if inside.isdigit() else 0


async def _met(c: Caller, evidence: applications.Evidence) -> list[tuple[str, str]] | None:
    """(tier, its name) of every tier the evidence meets today; None when it cannot be judged."""
    try:
        judged = await applications.preview(c, evidence)
    except DomainError:
        return None
    return [(t, tier_label(t)) for t, ok in judged.items() if ok]


@post("/talent/applications/new", name="talent.applications.create", guards=[CLERK], include_in_schema=False)
async def create(request: Req) -> Template | Redirect:
    form = await request.form()
    c = caller(request)
    person = await _person(c, text(form, "person_id") or "-")  # a person is required: 404 otherwise
    assert person is not None
    values = _values(form)
    parsed, errors = _parse(values)
    employer_id: UUID | None = None
    if values["employer_uscc"]:
        try:
            employer_id = (await registry.find_by_uscc(c, values["employer_uscc"])).id
        except ValidationFailed as exc:
            errors["employer_uscc"] = next(iter(failed(exc).values()))
        except NotFound:
            errors["employer_uscc"] = _(NO_EMPLOYER)
    else:
        errors["employer_uscc"] = _(NO_EMPLOYER)
    if errors or employer_id is None:
        return await _page(request, str(person["id"]), 422, errors=errors, values=values)
    contract_end: date = parsed["contract_end"]
    evidence = applications.Evidence(
        person_id=person["id"], employer_id=employer_id, tier_claimed=values["tier_claimed"],
        social_insurance_months=parsed["months"], contract_end=contract_end,
        qualifications=tuple(values["qualifications"]), annual_salary_fen=parsed["salary"],
        civil_servant=values["civil_servant"],
    )  # fmt: skip
    try:
        row = await applications.create(c, evidence)
    except ValidationFailed as exc:
        fields, reasons = _split(exc)
        met = await _met(c, evidence) if reasons else None
        return await _page(
            request, str(person["id"]), 422, errors=fields, values=values, reasons=reasons, met=met,
            not_met=message_of(exc) if reasons else None,
        )  # fmt: skip
    except NotFound:
        raise
    except DomainError as exc:
        return await _page(request, str(person["id"]), exc.status_code, values=values,
                           flashes=[("danger", message_of(exc))])  # fmt: skip
    await flash.push(request, "success", CREATED)
    return Redirect(f"/talent/applications/{row['id']}", status_code=303)


ROUTES = [new_form, find_person, create]
