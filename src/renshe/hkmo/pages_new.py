"""港澳青年登记 — the clerk registers a youth: the person (found by exact document, or preselected
with ``?person_id=`` from the registry), then the status, how they were reached, school and
graduation, the incubation base and the youth's consent. The service refuses with the field named
(no Hong Kong or Macao document, over 45, no consent) and nothing is saved.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.response import Redirect, Template

from renshe.errors import DomainError, NotFound, ValidationFailed
from renshe.hkmo import vocabulary, youth
from renshe.hkmo.pages import CLERK, Req, caller, common, message_of
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry import service as registry
from renshe.registry.forms import failed, parse_day, text
from renshe.registry.pages_common import choices, person_from_document_form
from renshe.registry.service import Caller
from renshe.subsidies.applications.pages_forms import uuid_or_404
from renshe.web import flash

NEW = "hkmo/youth_new.html"
REGISTERED = lazy("The youth is registered.")
ENTER_DATE = lazy("Enter a date as YYYY-MM-DD.")
FIELDS = ("status", "reached_via", "school", "graduated_on", "incubation_base", "enterprise_uscc")
NO_ENTERPRISE = lazy("No enterprise with this credit code is registered here.")


async def _person(c: Caller, raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    person = await registry.get_person(c, uuid_or_404(raw))  # another district's: 404
    return {"id": person.id, "label": person.masked_name, "href": f"/registry/people/{person.id}"}


async def _page(
    request: Req, person_raw: str | None, status: int = 200, *, errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None, **extra: Any,
) -> Template:  # fmt: skip
    c = caller(request)
    context: dict[str, Any] = {
        **common(c), "person": await _person(c, person_raw), "choices": choices(), "errors": errors or {},
        "values": values or {"status": "employed", "reached_via": "job_fair", "consent": False},
        "statuses": [(k, _(v)) for k, v in vocabulary.STATUS_LABELS.items()],
        "channels": [(k, _(v)) for k, v in vocabulary.CHANNEL_LABELS.items()], **extra,
    }  # fmt: skip
    return Template(NEW, context=context, status_code=status)


@get("/hkmo/youth/new", name="hkmo.youth.new", guards=[CLERK], include_in_schema=False)
async def new_form(request: Req) -> Template:
    return await _page(request, request.query_params.get("person_id"))


@post("/hkmo/youth/new/find", name="hkmo.youth.find", guards=[CLERK], include_in_schema=False)
async def find_person(request: Req) -> Template | Redirect:
    """Exact look-up (a POST: the number never travels in a URL); not registered here and
    registered in another district give the same answer."""
    person, status, errors = await person_from_document_form(caller(request), await request.form())
    if person is None:
        return await _page(request, None, status, errors=errors)
    return Redirect(f"/hkmo/youth/new?person_id={person.id}", status_code=303)


@post("/hkmo/youth/new", name="hkmo.youth.create", guards=[CLERK], include_in_schema=False)
async def create(request: Req) -> Template | Redirect:
    form = await request.form()
    c = caller(request)
    person = await _person(c, text(form, "person_id") or "-")  # a person is required: 404 otherwise
    assert person is not None
    values: dict[str, Any] = {k: text(form, k) for k in FIELDS}
    values["consent"] = text(form, "consent") == "1"
    errors: dict[str, str] = {}
    graduated: date | None = None
    if values["graduated_on"]:
        graduated = parse_day(values["graduated_on"])
        if graduated is None:
            errors["graduated_on"] = _(ENTER_DATE)
    enterprise_id: UUID | None = None
    if values["enterprise_uscc"]:
        try:
            enterprise_id = (await registry.find_by_uscc(c, values["enterprise_uscc"])).id
        except ValidationFailed as exc:
            errors["enterprise_uscc"] = next(iter(failed(exc).values()))
        except NotFound:
            errors["enterprise_uscc"] = _(NO_ENTERPRISE)
    if errors:
        return await _page(request, str(person["id"]), 422, errors=errors, values=values)
    registration = youth.Registration(
        person_id=person["id"], status=values["status"], reached_via=values["reached_via"],
        consent=values["consent"], school=values["school"] or None, graduated_on=graduated,
        enterprise_id=enterprise_id, incubation_base=values["incubation_base"] or None,
    )  # fmt: skip
    try:
        row = await youth.register(c, registration)
    except ValidationFailed as exc:
        shown = {("enterprise_uscc" if k == "enterprise_id" else k): v for k, v in failed(exc).items()}
        return await _page(request, str(person["id"]), 422, errors=shown, values=values)
    except NotFound:
        raise
    except DomainError as exc:
        return await _page(request, str(person["id"]), exc.status_code, values=values,
                           flashes=[("danger", message_of(exc))])  # fmt: skip
    await flash.push(request, "success", REGISTERED)
    return Redirect(f"/hkmo/youth/{row['id']}", status_code=303)


ROUTES = [new_form, find_person, create]
