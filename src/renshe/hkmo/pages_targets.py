"""港澳青年目标任务 — the year's targets for Hong Kong and Macao youth: for each metric the city's
target, what the districts achieved and the projection at the current rate, district by district;
the grants' money per district; and for the city administrator the form that sets the year's
targets with each district's share.

Counts and sums only, never a person: the city's analysts and administrators read every district,
a district's staff its own. Thin: parse, call :mod:`renshe.hkmo.targets` and
:mod:`renshe.hkmo.balances`, render; a refused plan is shown again with the reason at its field.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from renshe import clock
from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.errors import ValidationFailed
from renshe.hkmo import balances, targets
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.api import caller
from renshe.registry.service import Caller
from renshe.tenancy.toml_files import yuan_to_fen
from renshe.web import flash

Req = Request[Any, Any, Any]
READ = requires_roles(Role.CITY_ADMIN, Role.CITY_ANALYST, *targets.DISTRICT_READERS)
CITY_ADMIN = requires_roles(Role.CITY_ADMIN)
MONEY = "amount_paid_fen"  # entered in yuan, kept in fen
NOT_A_NUMBER = lazy("Enter a whole number, 0 or more.")
NOT_AN_AMOUNT = lazy("Enter an amount in yuan, 0 or more, at most two decimals.")
SAVED = lazy("The targets for %(year)s are saved.")


def _year(raw: str | None) -> int:
    try:
        year = int(raw or "")
    except ValueError:
        return clock.today().year
    return year if 2020 <= year <= 2100 else clock.today().year


def _entered(metric: str, target: int | None) -> str:
    """A stored target as the form shows it (the amount in yuan)."""
    if target is None:
        return ""
    return f"{target // 100}.{target % 100:02d}" if metric == MONEY else str(target)


def _form_rows(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The city administrator's grid: per metric, the city's field and each district's, with
    what is stored now."""
    rows = []
    for m in found["metrics"]:
        metric = m["metric"]
        cells = [(f"target.{metric}", _entered(metric, m["target"]), _("The city"))] + [
            (f"share.{d['district_code']}.{metric}", _entered(metric, d["target"]), d["district_name"])
            for d in m["districts"]
        ]
        rows.append({"label": m["label"], "cells": cells})
    return rows


async def _context(c: Caller, year: int) -> dict[str, Any]:
    found = await targets.progress(c, year)
    money = await balances.of_districts(c)
    p = c.principal
    this_year = clock.today().year
    districts = found["metrics"][0]["districts"] if found["metrics"] else []
    return {
        "progress": found, "year": year, "money": money, "city_view": not p.is_district,
        "years": [(str(y), str(y)) for y in range(this_year - 3, this_year + 2) if 2020 <= y <= 2100],
        "can_set": not p.is_district and p.has(Role.CITY_ADMIN), "money_metric": MONEY,
        "districts": districts, "names": {d["district_code"]: d["district_name"] for d in districts},
        "form_rows": _form_rows(found), "errors": {}, "values": {},
    }  # fmt: skip


@get("/hkmo/targets", name="hkmo.targets", guards=[READ], include_in_schema=False)
async def targets_page(request: Req) -> Template:
    c = caller(request)
    year = _year(request.query_params.get("year"))
    return Template("hkmo/targets.html", context=await _context(c, year))


def _count(raw: str, metric: str) -> int | None:
    """A form value as the metric's unit (yuan → fen for the amount); None when left empty."""
    raw = raw.strip().replace(",", "")
    if not raw:
        return None
    if metric == MONEY:
        return yuan_to_fen(raw)
    if not raw.isdigit():
        raise ValueError(raw)
    return int(raw)


def _plan(year: int, form: dict[str, str], codes: list[str]) -> targets.Plan:
    """The form's ``target.<metric>`` and ``share.<district>.<metric>`` as a plan (empty fields
    left out); every unreadable field named at once."""
    errors: dict[str, str] = {}
    city: dict[str, int] = {}
    shares: dict[str, dict[str, int]] = {}
    fields = [(f"target.{m}", None, m) for m in targets.METRICS] + [
        (f"share.{code}.{m}", code, m) for code in codes for m in targets.METRICS
    ]
    for name, code, metric in fields:
        try:
            value = _count(form.get(name, ""), metric)
        except (ValueError, ArithmeticError):
            errors[name] = _(NOT_AN_AMOUNT if metric == MONEY else NOT_A_NUMBER)
            continue
        if value is None:
            continue
        if code is None:
            city[metric] = value
        else:
            shares.setdefault(code, {})[metric] = value
    if errors:
        raise ValidationFailed(errors)
    return targets.Plan(year, city, shares)


def _form_field(key: str) -> str:
    """The service's error key (``targets.<metric>``, ``shares.<district>.<metric>``,
    ``shares.<metric>`` when a metric's shares do not add up) as the form's field."""
    parts = key.split(".")
    if parts[0] == "targets":
        return "target." + ".".join(parts[1:])
    if parts[0] == "shares" and len(parts) == 2:  # a metric's shares do not add up
        return "target." + parts[1]
    if parts[0] == "shares":
        return "share." + ".".join(parts[1:])
    return key


@post("/hkmo/targets/{year:int}", name="hkmo.targets.set", guards=[CITY_ADMIN], include_in_schema=False)
async def set_targets(request: Req, year: FromPath[int]) -> Template | Redirect:
    c = caller(request)
    form = dict(await request.form())
    context = await _context(c, year if 2020 <= year <= 2100 else clock.today().year)
    codes = [d["district_code"] for d in context["districts"]]
    try:
        await targets.set_targets(c, _plan(year, form, codes))
    except ValidationFailed as exc:
        context["errors"] = {_form_field(k): _(v) for k, v in exc.errors.items()}
        context["values"] = form
        return Template("hkmo/targets.html", context=context, status_code=422)
    await flash.push(request, "success", _(SAVED) % {"year": year})
    return Redirect(f"/hkmo/targets?year={year}", status_code=303)


ROUTES = [targets_page, set_targets]
