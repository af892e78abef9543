"""User admin pages (用户管理): list, create, edit roles, deactivate, reset password, unlock.

Who may do what is decided by :mod:`renshe.accounts.rules` inside the service; these handlers
only gate the area (sysadmin, secadmin, district admin; everyone else 403) and render. One-time
secrets (a temporary password, a TOTP set-up key) are shown on the answer page, never put in a
URL or a log.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from renshe.accounts import listing, rules, service
from renshe.accounts.authentication import Origin
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Principal, Role
from renshe.errors import ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.settings import get_settings
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_number, page_size
from renshe.web.request_context import request_id_of

ADMIN_AREA = requires_roles(Role.SYSADMIN, Role.SECADMIN, Role.DISTRICT_ADMIN)
MANAGERS = requires_roles(Role.SYSADMIN, Role.DISTRICT_ADMIN)
DONE = {
    "roles": lazy("The roles have been changed. The user must sign in again."),
    "deactivated": lazy("The user has been deactivated."),
    "reactivated": lazy("The user has been reactivated."),
    "unlocked": lazy("The account has been unlocked."),
}
Req = Request[Any, Any, Any]


def _origin(request: Req) -> Origin:
    return Origin(ip=request.client.host if request.client else None, request_id=request_id_of(request))


def _principal(request: Req) -> Principal:
    return principal_of(request)


@get("/admin/users", name="accounts.admin.users", guards=[ADMIN_AREA])
async def users_list(request: Req) -> Template:
    by = _principal(request)
    q = request.query_params
    unit = q.get("unit") or None
    role = q.get("role") if q.get("role") in {r.value for r in Role} else None
    status = q.get("status") if q.get("status") in listing.STATUSES else None
    page = await listing.list_users(
        by,
        unit_code=unit,
        role=role,
        status=status,
        page=page_number(q.get("page")),
        per_page=page_size(q.get("size"), listing.PER_PAGE),
    )
    return Template(
        template_name="admin/users.html",
        context={
            "page": page,
            "page_sizes": PAGE_SIZES,
            "units": await listing.org_units_for(by),
            "roles": list(Role),
            "statuses": listing.STATUSES,
            "filters": {"unit": unit or "", "role": role or "", "status": status or ""},
            "filter_params": {k: v for k, v in {"unit": unit, "role": role, "status": status}.items() if v},
            "can_create": by.has(Role.SYSADMIN, Role.DISTRICT_ADMIN),
        },
    )


def _form_context(
    by: Principal, units: list[dict[str, Any]], values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    grantable = rules.grantable_roles(by, "district") | rules.grantable_roles(by, "city")
    return {
        "units": units,
        "roles": [r for r in Role if r in grantable],
        "values": values,
        "errors": {k: _(v) for k, v in errors.items()},
    }


@get("/admin/users/new", name="accounts.admin.new", guards=[MANAGERS])
async def new_user_form(request: Req) -> Template:
    by = _principal(request)
    units = await listing.org_units_for(by)
    values = {"org_unit": by.org_unit.code if by.is_district else "", "roles": []}
    return Template("admin/user_new.html", context=_form_context(by, units, values, {}))


@post("/admin/users/new", name="accounts.admin.create", guards=[MANAGERS])
async def create_user(request: Req) -> Template:
    by = _principal(request)
    form = await request.form()
    values: dict[str, Any] = {
        "username": str(form.get("username") or "").strip(),
        "display_name": str(form.get("display_name") or "").strip(),
        "org_unit": str(form.get("org_unit") or ""),
        "roles": [str(r) for r in form.getall("roles")] if "roles" in form else [],
    }
    roles, unknown = rules.parse_roles(values["roles"])
    try:
        if unknown:
            raise ValidationFailed({"roles": "Choose at least one role."})
        issued = await service.create_user(
            get_settings(),
            by,
            _origin(request),
            username=values["username"],
            display_name=values["display_name"],
            org_unit=values["org_unit"],
            roles=roles,
        )
    except ValidationFailed as exc:
        units = await listing.org_units_for(by)
        return Template(
            "admin/user_new.html",
            context=_form_context(by, units, values, exc.errors),
            status_code=422,
        )
    return Template("admin/issued.html", context={"issued": issued, "created": True})


async def _detail(
    request: Req,
    user_id: UUID,
    errors: dict[str, str] | None = None,
    status: int = 200,
    selected: list[str] | None = None,
) -> Template:
    by = _principal(request)
    user = await service.get_user(by, user_id)
    grantable = rules.grantable_roles(by, user["unit_kind"])
    return Template(
        "admin/user_detail.html",
        context={
            "user": user,
            "grantable": [r for r in Role if r in grantable],
            "selected": selected if selected is not None else [r.value for r in user["roles"]],
            "can_manage": rules.can_manage(by, user["id"], user["org_unit_id"], frozenset(user["roles"])),
            "can_unlock": rules.can_unlock(by),
            "errors": {k: _(v) for k, v in (errors or {}).items()},
        },
        status_code=status,
    )


@get("/admin/users/{user_id:uuid}", name="accounts.admin.user", guards=[ADMIN_AREA])
async def user_detail(request: Req, user_id: FromPath[UUID]) -> Template:
    return await _detail(request, user_id)


def _version(form: Any) -> int | None:
    raw = form.get("version")
    return int(raw) if raw and str(raw).isdigit() else None


@post("/admin/users/{user_id:uuid}/roles", name="accounts.admin.roles", guards=[MANAGERS])
async def change_roles(request: Req, user_id: FromPath[UUID]) -> Template | Redirect:
    form = await request.form()
    wanted = [str(r) for r in form.getall("roles")] if "roles" in form else []
    roles, unknown = rules.parse_roles(wanted)
    try:
        if unknown:
            raise ValidationFailed({"roles": "Choose at least one role."})
        issued = await service.change_roles(
            get_settings(),
            _principal(request),
            _origin(request),
            user_id,
            roles,
            version=_version(form),
        )
    except ValidationFailed as exc:
        return await _detail(request, user_id, exc.errors, 422, selected=wanted)
    if issued.totp_uri:
        return Template("admin/issued.html", context={"issued": issued, "created": False})
    await flash.push(request, "success", DONE["roles"])
    return Redirect(f"/admin/users/{user_id}", status_code=303)


@post("/admin/users/{user_id:uuid}/deactivate", name="accounts.admin.deactivate", guards=[MANAGERS])
async def deactivate(request: Req, user_id: FromPath[UUID]) -> Redirect:
    form = await request.form()
    await service.set_active(_principal(request), _origin(request), user_id, False, version=_version(form))
    await flash.push(request, "success", DONE["deactivated"])
    return Redirect(f"/admin/users/{user_id}", status_code=303)


@post("/admin/users/{user_id:uuid}/reactivate", name="accounts.admin.reactivate", guards=[MANAGERS])
async def reactivate(request: Req, user_id: FromPath[UUID]) -> Redirect:
    form = await request.form()
    await service.set_active(_principal(request), _origin(request), user_id, True, version=_version(form))
    await flash.push(request, "success", DONE["reactivated"])
    return Redirect(f"/admin/users/{user_id}", status_code=303)


@post("/admin/users/{user_id:uuid}/reset-password", name="accounts.admin.reset", guards=[MANAGERS])
async def reset_password(request: Req, user_id: FromPath[UUID]) -> Template:
    issued = await service.reset_password(_principal(request), _origin(request), user_id)
    return Template("admin/issued.html", context={"issued": issued, "created": False})


@post("/admin/users/{user_id:uuid}/reset-second-factor", name="accounts.admin.reset_totp", guards=[MANAGERS])
async def reset_second_factor(request: Req, user_id: FromPath[UUID]) -> Template:
    """A lost authenticator: a new key, shown once (重置二次验证)."""
    issued = await service.reset_second_factor(get_settings(), _principal(request), _origin(request), user_id)
    return Template("admin/issued.html", context={"issued": issued, "created": False})


@post("/admin/users/{user_id:uuid}/unlock", name="accounts.admin.unlock", guards=[ADMIN_AREA])
async def unlock(request: Req, user_id: FromPath[UUID]) -> Redirect:
    await service.unlock(_principal(request), _origin(request), user_id)
    await flash.push(request, "success", DONE["unlocked"])
    return Redirect(f"/admin/users/{user_id}", status_code=303)


ROUTES = [
    users_list,
    new_user_form,
    create_user,
    user_detail,
    change_roles,
    deactivate,
    reactivate,
    reset_password,
    reset_second_factor,
    unlock,
]
