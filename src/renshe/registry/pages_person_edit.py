"""人员信息修改 — the clerk's edit page for one person, with optimistic locking: a change made by
someone else since the form was opened answers 409 with the fresh values; names, mobile and bank
account stay masked on the form (an empty field keeps, a new value replaces).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from renshe.i18n import lazy
from renshe.registry import service
from renshe.registry.api import WRITE
from renshe.registry.forms import ACCOUNT_AGAIN, PersonForm, bank_change, failed, text, translate
from renshe.registry.model import DuplicateRecord, FieldErrors, Person, StaleVersion
from renshe.registry.pages_common import Req, caller, choices, positive_int
from renshe.web import flash

UPDATED = lazy("The changes are saved.")


def _edit_values(person: Person) -> dict[str, str]:
    bank = person.bank
    return {
        # names stay masked on the form too: a new value replaces, an empty field keeps
        "name": "",
        "sex": person.sex or "",
        "residency": person.residency,
        # the year only, as on the detail page: the date with the masked ID gives the number away
        "birth_date": "",
        "education": person.education or "",
        "school": person.school or "",
        "graduated_on": person.graduated_on.isoformat() if person.graduated_on else "",
        "address": person.address or "",
        "notes": person.notes or "",
        "mobile": "",
        "bank.account_number": "",
        "bank.account_name": "",
        "bank.bank_name": (bank.bank_name or "") if bank else "",
        "bank.branch_code": (bank.branch_code or "") if bank else "",
    }


def _edit_template(person: Person, values: dict[str, str], status: int = 200, **extra: Any) -> Template:
    context = {
        "person": person,
        "values": values,
        "version": person.version,
        "choices": choices(),
        "errors": {},
        "warnings": {},
        **extra,
    }
    return Template("registry/person_edit.html", context=context, status_code=status)


@get(
    "/registry/people/{person_id:uuid}/edit",
    name="registry.person.edit",
    guards=[WRITE],
    include_in_schema=False,
)
async def person_edit(request: Req, person_id: FromPath[UUID]) -> Template:
    person = await service.get_person(caller(request), person_id)
    return _edit_template(person, _edit_values(person))


def _changes(person: Person, form: PersonForm, raw: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The fields the clerk changed, and errors the form itself finds."""
    v = form.values
    current = _edit_values(person)
    changes: dict[str, Any] = {}
    if v["name"]:
        changes["name"] = v["name"]
    for name in ("sex", "residency", "education", "school", "address", "notes"):
        if v[name] != current[name]:
            changes[name] = v[name] or None
    for name in ("birth_date", "graduated_on"):
        if v[name] != current[name]:
            changes[name] = form.day(name)
    errors = dict(form.date_errors)
    if raw.get("remove_mobile") in ("1", "on"):
        changes["mobile"] = None
    elif v["mobile"]:
        changes["mobile"] = v["mobile"]
    if raw.get("remove_bank") in ("1", "on"):
        changes["bank"] = None
    elif v["bank.account_number"]:
        changes["bank"] = bank_change(v)
    elif v["bank.account_name"] or any(v[f] != current[f] for f in ("bank.bank_name", "bank.branch_code")):
        errors["bank.account_number"] = ACCOUNT_AGAIN
    return changes, errors


@post(
    "/registry/people/{person_id:uuid}/edit",
    name="registry.person.update",
    guards=[WRITE],
    include_in_schema=False,
)
async def person_update(request: Req, person_id: FromPath[UUID]) -> Template | Redirect:
    raw = await request.form()
    form = PersonForm.parse(raw)
    c = caller(request)
    person = await service.get_person(c, person_id)
    version = positive_int(text(raw, "version"))
    changes, form_errors = _changes(person, form, raw)
    try:
        if form_errors:
            raise FieldErrors(form_errors)
        await service.update_person(c, person_id, changes, version, confirm_warnings=form.confirm_warnings)
    except StaleVersion as exc:
        fresh = await service.get_person(c, person_id)
        return _edit_template(fresh, _edit_values(fresh), 409, stale=translate({"x": exc.message})["x"])
    except FieldErrors as exc:
        key = "warnings" if exc.warnings_only else "errors"
        values = form.values | {"bank.account_number": form.values["bank.account_number"]}
        return _edit_template(person, values, 422, **{key: failed(exc)}, version_override=version)
    except DuplicateRecord as exc:
        return _edit_template(person, form.values, 409, duplicate_id=exc.existing_id)
    await flash.push(request, "success", UPDATED)
    return Redirect(f"/registry/people/{person_id}", status_code=303)


ROUTES = [person_edit, person_update]
