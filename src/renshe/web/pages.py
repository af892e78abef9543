"""Shell pages: the home page per role (首页), the language switch and the API documentation page."""

from __future__ import annotations

from typing import Annotated, Any, cast

from litestar import Request, get
from litestar.datastructures import Cookie
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from renshe import i18n
from renshe.accounts.principal import Principal
from renshe.errors import NotFound
from renshe.settings import get_settings
from renshe.web import navigation
from renshe.web.request_context import LANG_COOKIE
from renshe.web.restricted import api_docs_access

LOGIN_PATH = "/login"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything that could leave the site becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@get("/", include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Template | Redirect:
    principal = cast("Principal | None", request.scope.get("principal"))
    if principal is None:
        return Redirect(path=LOGIN_PATH, status_code=303)
    handlers = navigation.get_handlers(request.app)
    return Template(
        template_name="home/index.html",
        context={
            "links": navigation.links_for(principal, handlers),
            "coming": navigation.coming_for(principal),
        },
    )


@get("/lang/{code:str}", include_in_schema=False)
async def switch_language(
    code: FromPath[str],
    # ``?next=`` (``next`` is a Python builtin, hence the alias)
    next_path: Annotated[str | None, QueryParameter(name="next")] = None,
) -> Redirect:
    """Remember the chosen language in the ``lang`` cookie and go back where the user was.

    A plain link (GET) on purpose: it works on the login page before any session exists, and
    the only thing it changes is the caller's own display language.
    """
    if code not in i18n.LOCALES:
        raise NotFound()
    settings = get_settings()
    cookie = Cookie(
        key=LANG_COOKIE,
        value=code,
        max_age=LANG_COOKIE_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return Redirect(path=safe_next(next_path), status_code=303, cookies=[cookie])


def _operations(schema: Any) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path, item in sorted((schema.paths or {}).items()):
        for method in HTTP_METHODS:
            operation = getattr(item, method, None)
            if operation is None:
                continue
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.summary or "",
                    "description": (operation.description or "").strip(),
                    "secured": "no" if operation.security == [] else "yes",
                }
            )
    return rows


@get("/docs/api", include_in_schema=False, guards=[api_docs_access])
async def api_docs(request: Request[Any, Any, Any]) -> Template:
    """A readable list of the JSON API's endpoints, built from the OpenAPI document."""
    return Template(
        template_name="home/api_docs.html",
        context={"operations": _operations(request.app.openapi_schema)},
    )


ROUTES = [home, switch_language, api_docs]
