"""企业登记页面 — list, register, detail (linked people, history), edit, unmask, exports.

Thin, like the people pages: the registry services decide; another district's enterprise is the
same 404 page as a missing one; city users read without forms.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.db.tenant import tenant_transaction
from renshe.i18n import lazy
from renshe.registry import enterprises, exports, links, listing, service, timeline
from renshe.registry.api import READING, UNMASK, WRITE
from renshe.registry.forms import ACCOUNT_AGAIN, EnterpriseForm, bank_change, failed, text, translate
from renshe.registry.masking import mask_name
from renshe.registry.model import DuplicateRecord, Enterprise, FieldErrors, StaleVersion
from renshe.registry.pages_common import (
    Req,
    caller,
    can,
    choices,
    download,
    enterprise_filter,
    labels,
    positive_int,
)
from renshe.registry.pages_common import sort_of as sort_param
from renshe.spreadsheets.writers import format_of
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size

DONE = {"registered": lazy("The enterprise is registered."), "updated": lazy("The changes are saved.")}


@get("/registry/enterprises", name="registry.enterprises", guards=READING, include_in_schema=False)
async def enterprise_list(request: Req) -> Template:
    c = caller(request)
    f, keep = enterprise_filter(request.query_params)
    units = c.reading()
    async with tenant_transaction(c.context()):
        page = await listing.enterprises_page(
            units,
            f,
            sort_param(request.query_params),
            positive_int(request.query_params.get("page")),
            page_size(request.query_params.get("size"), listing.PAGE_SIZE),
        )
    return Template(
        "registry/enterprise_list.html",
        context={
            "page": page,
            "filters": keep,
            "page_sizes": PAGE_SIZES,
            "city_view": not c.principal.is_district,
            "mask_name": mask_name,
            **can(c),
        },
    )


@get("/registry/enterprises/export", name="registry.enterprises.export", guards=READING,
     include_in_schema=False)  # fmt: skip
async def enterprise_export(request: Req) -> Response[bytes]:
    file_format = format_of(request.query_params.get("format"))
    f, _keep = enterprise_filter(request.query_params)
    content = await exports.export_enterprises(
        caller(request), f, file_format, sort=sort_param(request.query_params)
    )
    return download(content, file_format, "enterprises")


@post(
    "/registry/enterprises/export",
    name="registry.enterprises.export_unmasked",
    guards=[UNMASK],
    include_in_schema=False,
    status_code=200,
)
async def enterprise_export_unmasked(request: Req) -> Response[bytes]:
    form = await request.form()
    file_format = format_of(text(form, "format"))
    f, _keep = enterprise_filter(form)
    content = await exports.export_enterprises(
        caller(request), f, file_format, sort=sort_param(form), reason=text(form, "reason")
    )
    return download(content, file_format, "enterprises")


def _form(values: dict[str, str], status: int = 200, **extra: Any) -> Template:
    context = {"values": values, "errors": {}, "warnings": {}, **extra}
    return Template("registry/enterprise_new.html", context=context, status_code=status)


@get("/registry/enterprises/new", name="registry.enterprises.new", guards=[WRITE], include_in_schema=False)
async def enterprise_new(request: Req) -> Template:
    return _form(EnterpriseForm.parse({}).values)


@post(
    "/registry/enterprises/new", name="registry.enterprises.create", guards=[WRITE], include_in_schema=False
)
async def enterprise_create(request: Req) -> Template | Redirect:
    form = EnterpriseForm.parse(await request.form())
    data = form.to_input()
    try:
        if form.date_errors:
            raise FieldErrors(form.date_errors)
        enterprise = await service.register_enterprise(caller(request), data)
    except FieldErrors as exc:
        key = "warnings" if exc.warnings_only else "errors"
        return _form(form.values, 422, **{key: failed(exc)})
    except DuplicateRecord as exc:
        return _form(form.values, 409, duplicate_id=exc.existing_id)
    await flash.push(request, "success", DONE["registered"])
    return Redirect(f"/registry/enterprises/{enterprise.id}", status_code=303)


@get(
    "/registry/enterprises/{enterprise_id:uuid}",
    name="registry.enterprise",
    guards=READING,
    include_in_schema=False,
)
async def enterprise_detail(request: Req, enterprise_id: FromPath[UUID]) -> Template:
    c = caller(request)
    units = c.reading()
    async with tenant_transaction(c.context()):
        enterprise = await enterprises.get_enterprise(enterprise_id, units)
        found = await links.links_of(enterprise_id=enterprise_id, tenant_ids=units)
        events = await timeline.history(enterprise.tenant_id, "enterprise", enterprise_id)
    return Template(
        "registry/enterprise_detail.html",
        context={
            "enterprise": enterprise,
            "links": found,
            "events": events,
            "labels": labels(),
            "mask_name": mask_name,
            **can(c),
        },
    )


@post(
    "/registry/enterprises/{enterprise_id:uuid}/unmask",
    name="registry.enterprise.unmask",
    guards=[UNMASK],
    include_in_schema=False,
    status_code=200,
)
async def enterprise_unmask(request: Req, enterprise_id: FromPath[UUID]) -> Template:
    form = await request.form()
    shown = await service.unmask_enterprise(
        caller(request), enterprise_id, text(form, "field"), text(form, "reason")
    )
    return Template("registry/_clear_value.html", context={"shown": shown})


def _edit_values(e: Enterprise) -> dict[str, str]:
    return {
        "name": e.name,
        "legal_representative": "",
        "registered_on": e.registered_on.isoformat() if e.registered_on else "",
        "registered_district": e.registered_district or "",
        "address": e.address or "",
        "notes": e.notes or "",
        "bank.account_number": "",
        "bank.account_name": _holder_on_form(e),
        "bank.bank_name": (e.bank.bank_name or "") if e.bank else "",
        "bank.branch_code": (e.bank.branch_code or "") if e.bank else "",
    }


def _holder_on_form(e: Enterprise) -> str:
    """The account holder pre-filled only when it is the enterprise's own name; a person's name
    (a sole proprietor's account) stays masked, like the legal representative."""
    if e.bank is None or not e.bank.account_name:
        return ""
    return e.bank.account_name if e.bank.holder_shown(e.name) == e.bank.account_name else ""


def _edit(e: Enterprise, values: dict[str, str], status: int = 200, **extra: Any) -> Template:
    context = {
        "enterprise": e,
        "values": values,
        "errors": {},
        "warnings": {},
        "version": e.version,
        "mask_name": mask_name,
        **extra,
    }
    return Template("registry/enterprise_edit.html", context=context, status_code=status)


@get(
    "/registry/enterprises/{enterprise_id:uuid}/edit",
    name="registry.enterprise.edit",
    guards=[WRITE],
    include_in_schema=False,
)
async def enterprise_edit(request: Req, enterprise_id: FromPath[UUID]) -> Template:
    e = await service.get_enterprise(caller(request), enterprise_id)
    return _edit(e, _edit_values(e))


def _changes(e: Enterprise, form: EnterpriseForm) -> tuple[dict[str, Any], dict[str, str]]:
    v, current = form.values, _edit_values(e)
    changes: dict[str, Any] = {}
    for name in ("name", "registered_district", "address", "notes"):
        if v[name] != current[name]:
            changes[name] = v[name] or None
    if v["legal_representative"]:
        changes["legal_representative"] = v["legal_representative"]
    if v["registered_on"] != current["registered_on"]:
        changes["registered_on"] = form.day("registered_on")
    errors = dict(form.date_errors)
    if v["bank.account_number"]:
        changes["bank"] = bank_change(v)
        if not v["bank.account_name"] and e.bank and e.bank.account_name and not current["bank.account_name"]:
            changes["bank"]["account_name"] = e.bank.account_name  # the masked holder, kept
    elif any(v[f] != current[f] for f in ("bank.account_name", "bank.bank_name", "bank.branch_code")):
        errors["bank.account_number"] = ACCOUNT_AGAIN
    return changes, errors


@post(
    "/registry/enterprises/{enterprise_id:uuid}/edit",
    name="registry.enterprise.update",
    guards=[WRITE],
    include_in_schema=False,
)
async def enterprise_update(request: Req, enterprise_id: FromPath[UUID]) -> Template | Redirect:
    raw = await request.form()
    form = EnterpriseForm.parse(raw)
    c = caller(request)
    e = await service.get_enterprise(c, enterprise_id)
    version = positive_int(text(raw, "version"))
    changes, form_errors = _changes(e, form)
    try:
        if form_errors:
            raise FieldErrors(form_errors)
        await service.update_enterprise(
            c, enterprise_id, changes, version, confirm_warnings=form.confirm_warnings
        )
    except StaleVersion as exc:
        fresh = await service.get_enterprise(c, enterprise_id)
        return _edit(fresh, _edit_values(fresh), 409, stale=translate({"x": exc.message})["x"])
    except FieldErrors as exc:
        key = "warnings" if exc.warnings_only else "errors"
        return _edit(e, form.values, 422, **{key: failed(exc)}, version=version)
    await flash.push(request, "success", DONE["updated"])
    return Redirect(f"/registry/enterprises/{enterprise_id}", status_code=303)


ROUTES = [
    enterprise_list,
    enterprise_export,
    enterprise_export_unmasked,
    enterprise_new,
    enterprise_create,
    enterprise_detail,
    enterprise_unmask,
    enterprise_edit,
    enterprise_update,
]
# the select lists are shared with the people pages
__all__ = ["ROUTES", "choices"]
