"""督查 pages — ``/supervision``: the city administrator asks for a district's records with a
reason and a duration, sees the city's grants (live first) and ends their own early.

Thin: parse the form, call :mod:`renshe.supervision.service`, render; a refused request is shown
again with the reason at its field and nothing is saved.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.guards import principal_of, requires_roles
from renshe.accounts.principal import Principal, Role
from renshe.errors import ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.supervision import service
from renshe.web import flash
from renshe.web.request_context import request_id_of
from renshe.web.templating import format_datetime

Req = Request[Any, Any, Any]
CITY_ADMIN = requires_roles(Role.CITY_ADMIN)
GRANTED = lazy("Supervision access to %(district)s is open until %(until)s. Every page you read is audited.")
ONE_HOUR, HOURS = lazy("1 hour"), lazy("%(num)s hours")
ENDED = lazy("Supervision access to %(district)s has ended.")


def _actor(request: Req, p: Principal) -> Any:
    return actor_for(
        p, Origin(ip=request.client.host if request.client else None, request_id=request_id_of(request))
    )


async def _context(p: Principal, request_id: str | None) -> dict[str, Any]:
    districts = await service.districts(p, request_id)
    return {
        "grants": await service.recent(p, request_id),
        "districts": [(str(i), name) for i, name in districts],
        "hours": [(str(h), _(HOURS) % {"num": h} if h > 1 else _(ONE_HOUR))
                  for h in range(1, service.MAX_HOURS + 1)],
        "me": p.user_id, "errors": {}, "values": {"hours": "2"},
    }  # fmt: skip


@get("/supervision", name="supervision", guards=[CITY_ADMIN], include_in_schema=False)
async def supervision_page(request: Req) -> Template:
    p = principal_of(request)
    return Template("supervision/index.html", context=await _context(p, request_id_of(request)))


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw)
    except ValueError:
        return None


def _int(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() and len(raw.strip()) < 4 else None


@post("/supervision", name="supervision.ask", guards=[CITY_ADMIN], include_in_schema=False)
async def ask(request: Req) -> Template | Redirect:
    p = principal_of(request)
    form = dict(await request.form())
    try:
        grant = await service.ask(
            p, _actor(request, p), _uuid(str(form.get("district", ""))), str(form.get("reason", "")),
            _int(str(form.get("hours", ""))),
        )  # fmt: skip
    except ValidationFailed as exc:
        context = await _context(p, request_id_of(request))
        context["errors"] = {k: _(v) for k, v in exc.errors.items()}
        context["values"] = form
        return Template("supervision/index.html", context=context, status_code=422)
    until = format_datetime(grant.ends_at)
    await flash.push(request, "success", GRANTED, district=grant.district_name, until=until)
    return Redirect("/supervision", status_code=303)


@post("/supervision/{supervision_id:uuid}/end", name="supervision.end", guards=[CITY_ADMIN],
      include_in_schema=False)  # fmt: skip
async def end(request: Req, supervision_id: FromPath[UUID]) -> Redirect:
    p = principal_of(request)
    grant = await service.end(p, _actor(request, p), supervision_id)
    await flash.push(request, "success", ENDED, district=grant.district_name)
    return Redirect("/supervision", status_code=303)


ROUTES = [supervision_page, ask, end]
