"""港澳青年名册页面 — the district's Hong Kong and Macao youth: the list (status filter, page sizes,
CSV/XLSX export, masked and audited), one youth (registration, status, history) and the clerk's
changes on it: a new status, and the youth's withdrawal of consent (asked in a dialog first).
Registering one is in :mod:`renshe.hkmo.pages_new`.

Thin: parse, call :mod:`renshe.hkmo.youth`, render. A refused change answers the page at the
refusal's status (409, 422) with the service's message; another district's youth is the same
404 as a missing one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.errors import DomainError, ValidationFailed
from renshe.hkmo import grants, vocabulary, youth
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import caller
from renshe.registry.forms import failed, text
from renshe.registry.pages_common import download, positive_int
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import format_of, render_off_loop
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size
from renshe.web.templating import format_datetime

Req = Request[Any, Any, Any]
READ = requires_roles(*youth.READERS)
CLERK = requires_roles(Role.CLERK)
CHANGED = lazy("The youth's status is changed.")
WITHDRAWN = lazy("The consent is withdrawn: the youth's personal details are withheld from now on.")
EXPORT_HEADERS = (
    lazy("Name"), lazy("Status"), lazy("School"), lazy("Graduated on"), lazy("Incubation base"),
    lazy("Reached via"), lazy("Registered on"), lazy("Age at registration"), lazy("Consent"),
)  # fmt: skip


def common(c: Caller) -> dict[str, Any]:
    p = c.principal
    return {
        "status_label": vocabulary.status_label, "channel_label": vocabulary.channel_label,
        "event_label": vocabulary.event_label, "is_clerk": p.is_district and p.has(Role.CLERK),
        "errors": {}, "values": {},
    }  # fmt: skip


def message_of(exc: DomainError) -> str:
    """A service's refusal in the user's language."""
    return _(exc.message) if exc.message else _("You are not allowed to do this.")


def _status(raw: str | None) -> str | None:
    return raw if raw in youth.STATUSES else None


@get("/hkmo/youth", name="hkmo.youth", guards=[READ], include_in_schema=False)
async def youth_list(request: Req) -> Template:
    c = caller(request)
    status = _status(request.query_params.get("status"))
    number = positive_int(request.query_params.get("page"))
    size = page_size(request.query_params.get("size"), 50)
    found = await youth.page_of(c, status=status, number=number, size=size)
    return Template(
        "hkmo/youth_list.html",
        context={
            **common(c), "page": found, "filters": {"status": status} if status else {},
            "page_sizes": PAGE_SIZES,
            "statuses": [(k, _(v)) for k, v in vocabulary.STATUS_LABELS.items()],
        },
    )  # fmt: skip


def export_rows(rows: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            r["name"], vocabulary.status_label(r["status"]), r["school"] or "",
            r["graduated_on"].isoformat() if r["graduated_on"] else "", r["incubation_base"] or "",
            vocabulary.channel_label(r["reached_via"]), r["registered_on"].isoformat(),
            r["age_at_registration"], _("Given") if r["consent"] else _("Withdrawn"),
        ]
        for r in rows
    ]  # fmt: skip


@get("/hkmo/youth/export", name="hkmo.youth.export", guards=[READ], include_in_schema=False)
async def export(request: Req) -> Response[bytes]:
    """The list as filtered, every row (masked as on the page; withheld after a withdrawal)."""
    c = caller(request)
    status = _status(request.query_params.get("status"))
    file_format = format_of(request.query_params.get("format"))
    rows = (await youth.page_of(c, status=status, number=1, size=youth.EXPORT_LIMIT)).items
    await youth.record_export(c, len(rows), file_format, status)
    headers = [_(h) for h in EXPORT_HEADERS]
    content = await render_off_loop(file_format, headers, export_rows(rows), _("Hong Kong and Macao youth"))
    return download(content, file_format, "hkmo-youth")


async def _page(request: Req, youth_id: UUID, status: int = 200, **extra: Any) -> Template:
    c = caller(request)
    record = await youth.get(c, youth_id)
    context = {
        **common(c), "youth": record, "created": format_datetime(record["created_at"]),
        "grants": await grants.listed(c, youth_id=youth_id, limit=100),
        "names": await grants.program_names(c),
        "grant_state_label": vocabulary.grant_state_label,
        "statuses": [(k, _(v)) for k, v in vocabulary.STATUS_LABELS.items()], **extra,
    }  # fmt: skip
    return Template("hkmo/youth.html", context=context, status_code=status)


@get("/hkmo/youth/{youth_id:uuid}", name="hkmo.youth.detail", guards=[READ], include_in_schema=False)
async def youth_page(request: Req, youth_id: FromPath[UUID]) -> Template:
    return await _page(request, youth_id)


def _version(form: Any) -> int:
    raw = text(form, "version")
    return int(raw) if raw.isascii() and raw.isdigit() else 0


@post("/hkmo/youth/{youth_id:uuid}/status", name="hkmo.youth.status", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def change_status(request: Req, youth_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    values = {"status": text(form, "status"), "comment": text(form, "comment")}
    try:
        await youth.change(
            caller(request), youth_id, _version(form), status=values["status"] or "-",
            comment=values["comment"] or None,
        )  # fmt: skip
    except ValidationFailed as exc:
        return await _page(request, youth_id, 422, errors=failed(exc), values=values)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _page(request, youth_id, exc.status_code, flashes=[("danger", message_of(exc))])
    await flash.push(request, "success", CHANGED)
    return Redirect(f"/hkmo/youth/{youth_id}", status_code=303)


@post("/hkmo/youth/{youth_id:uuid}/withdraw-consent", name="hkmo.youth.withdraw", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def withdraw_consent(request: Req, youth_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    try:
        await youth.change(caller(request), youth_id, _version(form), withdraw_consent=True,
                           comment=text(form, "comment") or None)  # fmt: skip
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _page(request, youth_id, exc.status_code, flashes=[("danger", message_of(exc))])
    await flash.push(request, "success", WITHDRAWN)
    return Redirect(f"/hkmo/youth/{youth_id}", status_code=303)


ROUTES = [youth_list, export, youth_page, change_status, withdraw_consent]
