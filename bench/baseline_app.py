"""The web benchmarks' baseline (07-quality): a minimal Litestar application that runs the same
SQL as the product's applications list page and API with raw asyncpg, and renders the same
template / the same JSON — without sessions, CSRF, guards, tenant transactions, RLS or logging.
The ratio product ÷ baseline is what all of that costs.

Started by ``bench.web`` as ``uvicorn bench.baseline_app:create_app --factory`` with
``BENCH_USER_ID`` naming the clerk whose page is rendered.
"""

from __future__ import annotations

import json
import os
from typing import Any
from uuid import UUID

import asyncpg
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig

from renshe import clock
from renshe.accounts.principal import OrgUnitRef, Principal, Role
from renshe.i18n import gettext as _
from renshe.registry.service import Caller
from renshe.subsidies.applications import listing
from renshe.subsidies.applications.api import ApplicationList, application_out
from renshe.subsidies.applications.pages import common
from renshe.subsidies.applications.pages_forms import SORT_LABELS, STATE_LABELS, list_filter
from renshe.talent import signing_keys, tokens, verify_pages
from renshe.talent.verification import check
from renshe.web.templating import build_environment

_LIST = """SELECT * FROM applications WHERE tenant_id = $1::uuid
             AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR program_code = $3)
             AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
           ORDER BY created_at DESC, id DESC LIMIT $6"""


async def _start(app: Litestar) -> None:
    pool = await asyncpg.create_pool(os.environ["RENSHE_DATABASE_URL"], min_size=4, max_size=10)
    user = await pool.fetchrow(
        """SELECT u.id, u.username, u.display_name, o.id AS unit_id, o.code, o.kind, o.name_zh, o.name_en
           FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id = $1""",
        UUID(os.environ["BENCH_USER_ID"]),
    )
    unit = OrgUnitRef(user["unit_id"], user["code"], user["kind"], user["name_zh"], user["name_en"])
    app.state.pool = pool
    app.state.principal = Principal(
        user["id"], user["username"], user["display_name"], unit, frozenset({Role.CLERK}),
        frozenset({unit.id}),
    )  # fmt: skip


async def _stop(app: Litestar) -> None:
    await app.state.pool.close()


@get("/list")
async def application_list(request: Request[Any, Any, Any], state: State) -> Template:
    principal: Principal = state.principal
    request.scope["principal"] = principal  # type: ignore[typeddict-unknown-key]  # the layout reads it
    f, keep, sort = list_filter(request.query_params)
    clause, args = listing.where([principal.org_unit.id], f)
    async with state.pool.acquire() as conn:
        total = await conn.fetchval(f"SELECT count(*) FROM applications a {clause}", *args)
        rows = await conn.fetch(
            f"{listing._SELECT} {clause} ORDER BY {listing.SORTS['newest']} LIMIT $7 OFFSET $8",
            *args, listing.PAGE_SIZE, 0,
        )  # fmt: skip
        programs = await conn.fetch("SELECT code, name_zh, name_en FROM programs ORDER BY sort_order, code")
        catalogue = [dict(r) for r in programs]
    found = listing.Page([listing.shown(r) for r in rows], total, 1)
    return Template(
        "subsidies/applications/list.html",
        context={
            "page": found, "filters": keep, "sort": sort, "programs": catalogue,
            "states": [(k, _(v)) for k, v in STATE_LABELS.items()],
            "sorts": [(k, _(v)) for k, v in SORT_LABELS.items()], **common(Caller(principal)),
        },
    )  # fmt: skip


@get("/api/list")
async def api_list(state: State, limit: int = 50, state_filter: str | None = None) -> ApplicationList:
    principal: Principal = state.principal
    async with state.pool.acquire() as conn:
        rows = await conn.fetch(_LIST, principal.org_unit.id, state_filter, None, None, None, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return ApplicationList(items=[application_out(dict(r)) for r in rows], next_cursor="x" if more else None)


_KEYS = """SELECT kid, public_key, state, not_before, signed_until FROM card_signing_keys
           WHERE state IN ('active', 'verifying') ORDER BY not_before DESC, kid"""
_LISTS = """SELECT o.code, s.document FROM talent_status_lists s JOIN org_units o ON o.id = s.tenant_id
            WHERE s.document IS NOT NULL"""
_CARD = """SELECT c.state FROM talent_cards c JOIN org_units o ON o.id = c.tenant_id
           WHERE o.code = $1 AND c.status_index = $2 AND c.card_no = $3"""


@get("/verify/{token:str}")
async def verify(state: State, token: str) -> Template:
    """The card check page: the same reads (keys, every list, the card's state) in one connection,
    the same verification and the same template — no tenant transactions or RLS."""
    async with state.pool.acquire() as conn:
        keys = [signing_keys.PublishedKey(r["kid"], bytes(r["public_key"]), r["state"], r["not_before"],
                                          r["signed_until"]) for r in await conn.fetch(_KEYS)]  # fmt: skip
        lists = {r["code"]: json.loads(r["document"]) for r in await conn.fetch(_LISTS)}
        claims = tokens.read_unverified(token)[0]
        named = (claims.card.district_code, claims.status_index, claims.card_no)
        card_state = await conn.fetchval(_CARD, *named)
    finding = verify_pages.live_state(
        check(token, signing_keys.lookup(keys), lists, clock.today()), card_state
    )
    data = {"keys": verify_pages.keys_json(keys), "lists": lists, "today": clock.today().isoformat()}
    data["labels"] = verify_pages.labels()
    context = {
        "verdict": finding.verdict.value, "label": verify_pages.VERDICT_LABELS[finding.verdict],
        "note": verify_pages.VERDICT_NOTES[finding.verdict], "claims": finding.claims,
        "genuine": finding.verdict.value in ("valid", "expired", "not_yet_valid", "revoked"),
        "data": json.dumps(data, ensure_ascii=False, default=str),
    }  # fmt: skip
    return Template("talent/verify.html", context=context)


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[application_list, api_list, verify],
        on_startup=[_start],
        on_shutdown=[_stop],
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(build_environment())),
    )
