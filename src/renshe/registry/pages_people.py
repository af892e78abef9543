"""人员登记页面 — the clerk's pages for people: list, register, search, detail, edit, documents,
links to enterprises, unmasking one field, exports (editing: ``pages_person_edit``).

Thin: parse the form, call the registry services, render. Errors are shown at their fields in
the user's language; a duplicate document names the existing person with a link; another
district's person answers the same 404 page as a missing one (the services look people up
through row-level security). City users read every district under the city, without forms.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.db.tenant import tenant_transaction
from renshe.errors import Conflict, NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.registry import enterprises, exports, links, listing, people, service, timeline
from renshe.registry import validation as check
from renshe.registry.api import READING, UNMASK, WRITE
from renshe.registry.forms import PersonForm, failed, parse_day, text, translate
from renshe.registry.model import DocumentInput, DuplicateRecord, FieldErrors, Problems, StaleVersion
from renshe.registry.pages_common import (
    Req,
    caller,
    can,
    choices,
    download,
    labels,
    people_filter,
    positive_int,
)
from renshe.registry.pages_common import sort_of as sort_param
from renshe.spreadsheets.writers import format_of
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size

NO_PERSON_WITH_DOCUMENT = lazy("No person with this document is registered here.")
DONE = {
    "registered": lazy("The person is registered."),
    "updated": lazy("The changes are saved."),
    "document_added": lazy("The document is added."),
    "document_removed": lazy("The document is removed."),
    "linked": lazy("The person is linked to the enterprise."),
}


# ---------------------------------------------------------------- list and export


@get("/registry/people", name="registry.people", guards=READING, include_in_schema=False)
async def people_list(request: Req) -> Template:
    c = caller(request)
    f, keep = people_filter(request.query_params)
    units = c.reading()
    async with tenant_transaction(c.context()):
        page = await listing.people_page(
            units,
            f,
            sort_param(request.query_params),
            positive_int(request.query_params.get("page")),
            page_size(request.query_params.get("size"), listing.PAGE_SIZE),
        )
    return Template(
        "registry/people_list.html",
        context={
            "page": page,
            "filters": keep,
            "page_sizes": PAGE_SIZES,
            "choices": choices(),
            "labels": labels(),
            "city_view": not c.principal.is_district,
            **can(c),
        },
    )


@get("/registry/people/export", name="registry.people.export", guards=READING, include_in_schema=False)
async def people_export(request: Req) -> Response[bytes]:
    """The filtered list, masked (the unmasked export is a POST with a reason)."""
    file_format = format_of(request.query_params.get("format"))
    f, _keep = people_filter(request.query_params)
    content = await exports.export_people(
        caller(request), f, file_format, sort=sort_param(request.query_params)
    )
    return download(content, file_format, "people")


@post(
    "/registry/people/export",
    name="registry.people.export_unmasked",
    guards=[UNMASK],
    include_in_schema=False,
    status_code=200,
)
async def people_export_unmasked(request: Req) -> Response[bytes]:
    form = await request.form()
    file_format = format_of(text(form, "format"))
    f, _keep = people_filter(form)
    content = await exports.export_people(
        caller(request), f, file_format, sort=sort_param(form), reason=text(form, "reason")
    )
    return download(content, file_format, "people")


# ---------------------------------------------------------------- register


def _form_context(form: PersonForm, **extra: Any) -> dict[str, Any]:
    return {
        "values": form.values,
        "documents": form.documents,
        "choices": choices(),
        "errors": {},
        "warnings": {},
        "row_ids": [secrets.token_hex(3) for _ in form.documents],
        **extra,
    }


@get("/registry/people/new", name="registry.people.new", guards=[WRITE], include_in_schema=False)
async def person_new(request: Req) -> Template:
    form = PersonForm.parse({})
    return Template("registry/person_new.html", context=_form_context(form))


@get(
    "/registry/people/document-row",
    name="registry.people.document_row",
    guards=[WRITE],
    include_in_schema=False,
)
async def document_row(request: Req) -> Template:
    """One more (empty) document row for the registration form (HTMX)."""
    return Template(
        "registry/_document_row.html",
        context={
            "doc": {"type": "", "number": ""},
            "row_id": secrets.token_hex(3),
            "i": None,
            "errors": {},
            "warnings": {},
            "choices": choices(),
            "removable": True,
        },
    )


@get(
    "/registry/people/document-row/removed",
    name="registry.people.document_row_removed",
    guards=[WRITE],
    include_in_schema=False,
)
async def document_row_removed(request: Req) -> Response[str]:
    """The answer to "remove this row" (HTMX deletes the row whatever the body)."""
    return Response(content="", media_type="text/html")


def _date_problems(form: PersonForm, data: Any) -> None:
    """A date the browser could not send as a date: report it with every other problem."""
    if form.date_errors:
        problems = Problems()
        check.check_person(data, problems)
        raise FieldErrors({**problems.errors, **form.date_errors}, problems.params)


@post("/registry/people/new", name="registry.people.create", guards=[WRITE], include_in_schema=False)
async def person_create(request: Req) -> Template | Redirect:
    form = PersonForm.parse(await request.form())
    data = form.to_input()
    try:
        _date_problems(form, data)
        person = await service.register_person(caller(request), data)
    except FieldErrors as exc:
        key = "warnings" if exc.warnings_only else "errors"
        context = _form_context(form, **{key: failed(exc)})
        return Template("registry/person_new.html", context=context, status_code=422)
    except DuplicateRecord as exc:
        context = _form_context(form, duplicate_id=exc.existing_id)
        return Template("registry/person_new.html", context=context, status_code=409)
    await flash.push(request, "success", DONE["registered"])
    return Redirect(f"/registry/people/{person.id}", status_code=303)


# ---------------------------------------------------------------- search by document


@get("/registry/people/search", name="registry.people.search", guards=READING, include_in_schema=False)
async def search_form(request: Req) -> Template:
    return Template(
        "registry/person_search.html",
        context={"values": {"type": "prc_id", "number": ""}, "errors": {}, "choices": choices()},
    )


@post("/registry/people/search", name="registry.people.find", guards=READING, include_in_schema=False)
async def search(request: Req) -> Template | Redirect:
    """Exact look-up (a POST: the number never travels in a URL). Not registered here and
    registered only in another district give the same answer."""
    form = await request.form()
    values = {"type": text(form, "type"), "number": ""}  # the number is not echoed back
    try:
        person = await service.find_by_document(caller(request), values["type"], text(form, "number"))
    except ValidationFailed as exc:
        return Template(
            "registry/person_search.html",
            context={"values": values, "errors": failed(exc), "choices": choices()},
            status_code=422,
        )
    except NotFound:
        return Template(
            "registry/person_search.html",
            context={
                "values": values,
                "errors": {},
                "choices": choices(),
                "not_found": True,
            },
            status_code=404,
        )
    return Redirect(f"/registry/people/{person.id}", status_code=303)


# ---------------------------------------------------------------- detail


async def _detail(request: Req, person_id: UUID, status: int = 200, **extra: Any) -> Template:
    c = caller(request)
    units = c.reading()
    async with tenant_transaction(c.context()):
        person = await people.get_person(person_id, units)
        person_links = await links.links_of(person_id=person_id, tenant_ids=units)
        events = await timeline.history(person.tenant_id, "person", person_id)
    context = {
        "person": person,
        "links": person_links,
        "events": events,
        "labels": labels(),
        "choices": choices(),
        "doc_errors": {},
        "link_errors": {},
        "doc_values": {},
        "link_values": {},
        **can(c),
        **extra,
    }
    return Template("registry/person_detail.html", context=context, status_code=status)


@get("/registry/people/{person_id:uuid}", name="registry.person", guards=READING, include_in_schema=False)
async def person_detail(request: Req, person_id: FromPath[UUID]) -> Template:
    return await _detail(request, person_id)


@post(
    "/registry/people/{person_id:uuid}/unmask",
    name="registry.person.unmask",
    guards=[UNMASK],
    include_in_schema=False,
    status_code=200,
)
async def person_unmask(request: Req, person_id: FromPath[UUID]) -> Template:
    """One field in clear, in place, for this answer only (HTMX); the service audits it."""
    form = await request.form()
    raw_doc = text(form, "document_id")
    try:
        document_id = UUID(raw_doc) if raw_doc else None
    except ValueError:
        raise NotFound() from None
    shown = await service.unmask_person(
        caller(request), person_id, text(form, "field"), text(form, "reason"), document_id=document_id
    )
    return Template("registry/_clear_value.html", context={"shown": shown})


@post(
    "/registry/people/{person_id:uuid}/documents",
    name="registry.person.add_document",
    guards=[WRITE],
    include_in_schema=False,
)
async def add_document(request: Req, person_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    values = {"type": text(form, "doc_type"), "number": text(form, "doc_number")}
    try:
        await service.add_document(
            caller(request),
            person_id,
            DocumentInput(values["type"], values["number"]),
            expected_version=positive_int(text(form, "version")),
            confirm_warnings=form.get("confirm_warnings") in ("1", "on"),
        )
    except FieldErrors as exc:
        return await _detail(
            request, person_id, 422, doc_errors=failed(exc), doc_values=values, doc_warnings=exc.warnings_only
        )
    except DuplicateRecord as exc:
        return await _detail(request, person_id, 409, doc_duplicate=exc.existing_id, doc_values=values)
    except StaleVersion as exc:
        return await _detail(request, person_id, 409, stale=translate({"x": exc.message})["x"])
    await flash.push(request, "success", DONE["document_added"])
    return Redirect(f"/registry/people/{person_id}", status_code=303)


@post(
    "/registry/people/{person_id:uuid}/documents/{document_id:uuid}/remove",
    name="registry.person.remove_document",
    guards=[WRITE],
    include_in_schema=False,
)
async def remove_document(
    request: Req, person_id: FromPath[UUID], document_id: FromPath[UUID]
) -> Template | Redirect:
    form = await request.form()
    try:
        await service.remove_document(
            caller(request), person_id, document_id, expected_version=positive_int(text(form, "version"))
        )
    except StaleVersion as exc:
        return await _detail(request, person_id, 409, stale=translate({"x": exc.message})["x"])
    except ValidationFailed as exc:
        return await _detail(request, person_id, 422, stale=translate({"x": exc.message})["x"])
    await flash.push(request, "success", DONE["document_removed"])
    return Redirect(f"/registry/people/{person_id}", status_code=303)


@post(
    "/registry/people/{person_id:uuid}/links",
    name="registry.person.link",
    guards=[WRITE],
    include_in_schema=False,
)
async def link_enterprise(request: Req, person_id: FromPath[UUID]) -> Template | Redirect:
    """Link the person to an enterprise of this district, named by its credit code."""
    form = await request.form()
    values = {"uscc": text(form, "uscc"), "role": text(form, "role"), "since": text(form, "since")}
    c = caller(request)
    tenant = c.writing_district()
    try:
        async with tenant_transaction(c.context()):
            enterprise = await enterprises.find_by_uscc(values["uscc"], [tenant])
            await links.link_person(
                tenant, c.actor, person_id, enterprise.id, values["role"], since=parse_day(values["since"])
            )
    except ValidationFailed as exc:
        return await _detail(request, person_id, 422, link_errors=failed(exc), link_values=values)
    except NotFound as exc:
        await _detail(request, person_id)  # the person itself must exist (else: 404 page)
        return await _detail(
            request, person_id, 404, link_errors=translate({"uscc": exc.message}), link_values=values
        )
    except Conflict as exc:
        return await _detail(
            request, person_id, 409, link_errors=translate({"role": exc.message}), link_values=values
        )
    await flash.push(request, "success", DONE["linked"])
    return Redirect(f"/registry/people/{person_id}", status_code=303)


ROUTES = [
    people_list,
    people_export,
    people_export_unmasked,
    person_new,
    document_row,
    document_row_removed,
    person_create,
    search_form,
    search,
    person_detail,
    person_unmask,
    add_document,
    remove_document,
    link_enterprise,
]
