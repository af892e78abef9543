"""Sign-in pages: ``/login``, ``/logout``, ``/account/password`` (and the user admin pages).

Thin: read the form, call :mod:`renshe.accounts.authentication` / :mod:`renshe.accounts.service`,
render or redirect. Cookies are set here (the services know nothing of HTTP).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from renshe.accounts import admin_pages, service, sessions
from renshe.accounts.authentication import GENERIC_FAILURE, LoginFailed, Origin, authenticate, record_logout
from renshe.accounts.guards import (
    current_principal,
    current_session,
    principal_of,
    requires_login,
)
from renshe.errors import ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.settings import get_settings
from renshe.web import flash
from renshe.web.request_context import request_id_of

HOME = "/"
PASSWORD_CHANGED = lazy("Your password has been changed.")


def origin_of(request: Request[Any, Any, Any]) -> Origin:
    return Origin(ip=request.client.host if request.client else None, request_id=request_id_of(request))


def safe_next(target: str | None) -> str:
    """Only a local path (``/…``, not ``//host`` nor ``/\\host``) may be a redirect target."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\t"):
        return HOME
    return target


def session_cookie(value: str, *, expire: bool = False) -> Cookie:
    settings = get_settings()
    return Cookie(
        key=sessions.COOKIE_NAME,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=0 if expire else None,
    )


def _login_page(
    request: Request[Any, Any, Any],
    *,
    error: bool = False,
    username: str = "",
    next_path: str = HOME,
    status: int = 200,
) -> Template:
    return Template(
        template_name="accounts/login.html",
        context={
            "error": _(GENERIC_FAILURE) if error else None,
            "expired": request.query_params.get("expired") == "1",
            "username": username,
            "next": next_path,
        },
        status_code=status,
    )


@get("/login", name="accounts.login", sync_to_thread=False)
def login_form(request: Request[Any, Any, Any], next: FromQuery[str | None] = None) -> Template | Redirect:
    if current_principal(request) is not None:
        return Redirect(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@post("/login", name="accounts.login_submit")
async def login_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await request.form()
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    code = str(form.get("totp") or "") or None
    next_path = safe_next(str(form.get("next") or ""))
    settings = get_settings()
    try:
        result = await authenticate(settings, username, password, code, origin_of(request))
    except LoginFailed:
        # One page, one status for every kind of failure (no hint which part was wrong).
        return _login_page(request, error=True, username=username[:64], next_path=next_path, status=401)
    # A session the browser already had (someone else's, or planted) is never reused.
    old = current_session(request)
    if old is not None:
        await sessions.destroy(old.id, old.principal.user_id)
    session = await sessions.create(
        settings, result.principal, must_change_password=result.must_change_password
    )
    target = "/account/password" if result.must_change_password else next_path
    return Redirect(target, status_code=303, cookies=[session_cookie(session.id)])


@post("/logout", name="accounts.logout")
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    session = current_session(request)
    if session is not None:
        await sessions.destroy(session.id, session.principal.user_id)
        await record_logout(session.principal, origin_of(request))
    return Redirect("/login", status_code=303, cookies=[session_cookie("", expire=True)])


def _password_page(
    errors: dict[str, str] | None = None, *, forced: bool = False, status: int = 200
) -> Template:
    return Template(
        template_name="accounts/password.html",
        context={"errors": {k: _(v) for k, v in (errors or {}).items()}, "forced": forced},
        status_code=status,
    )


@get("/account/password", name="accounts.password", guards=[requires_login], sync_to_thread=False)
def password_form(request: Request[Any, Any, Any]) -> Template:
    session = current_session(request)
    return _password_page(forced=bool(session and session.must_change_password))


@post("/account/password", name="accounts.password_submit", guards=[requires_login])
async def password_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    form = await request.form()
    principal = principal_of(request)
    session = current_session(request)
    settings = get_settings()
    try:
        await service.change_own_password(
            settings,
            principal,
            origin_of(request),
            current=str(form.get("current_password") or ""),
            new=str(form.get("new_password") or ""),
            repeat=str(form.get("repeat_password") or ""),
        )
    except ValidationFailed as exc:
        forced = bool(session and session.must_change_password)
        return _password_page(exc.errors, forced=forced, status=422)
    # A new session id after a password change; other sessions of the user end.
    await sessions.revoke_user(principal.user_id)
    fresh = await sessions.create(settings, principal)
    await flash.push_to(fresh.id, "success", PASSWORD_CHANGED)
    return Redirect("/", status_code=303, cookies=[session_cookie(fresh.id)])


ROUTES = [
    login_form,
    login_submit,
    logout,
    password_form,
    password_submit,
    *admin_pages.ROUTES,
]
