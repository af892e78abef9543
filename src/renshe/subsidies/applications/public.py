"""The public notice page (公示) of one district: ``GET /public/{district_code}/notices``.

No login; the readers are citizens, on a phone as often as not. Lists the awards of that district
in notice today — from the first day of their notice period, not from approval (the window opens
the next working day) — with the masked name (:func:`~renshe.registry.masking.mask_name`, as on
every page) and ID, program, amount in yuan, the window and the last moment to object; then the
district's objection contact from its ``[public_notice]`` in ``tenants/*.toml``. An unknown or
inactive district code is a 404 page. Nothing here reads a ciphertext: only the masked columns
the registry stores.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import get
from litestar.params import FromPath
from litestar.response import Template

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import NotFound
from renshe.i18n import current_locale
from renshe.registry.masking import mask_name
from renshe.subsidies.applications.store import as_json, today

PAGE_LIMIT = 500  # a notice period holds far fewer; the page is not a data export
DEFAULT_DEADLINE = "17:30"  # the end of an office day, for a district file without its own


async def notices_of(
    district_code: str, on: date | None = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the district, its awards in notice) — ``NotFound`` for an unknown or inactive district."""
    async with tenant_transaction(TenantContext.none()):
        unit = await current_transaction().connection.fetchrow(
            """SELECT id, code, name_zh, name_en, settings FROM org_units
               WHERE code = $1 AND kind = 'district' AND active""",
            district_code,
        )
    if unit is None:
        raise NotFound()
    day = on or today()
    async with tenant_transaction(TenantContext.district(unit["id"])):
        rows = await current_transaction().connection.fetch(
            """SELECT a.id, a.amount_fen, a.notice_starts_on, a.notice_ends_on, a.program_code,
                      p.name_zh AS program_zh, p.name_en AS program_en,
                      per.name AS person_name, e.name AS enterprise_name,
                      (SELECT d.number_masked FROM person_documents d
                        WHERE d.tenant_id = a.tenant_id AND d.person_id = a.person_id
                        ORDER BY d.position LIMIT 1) AS id_masked
               FROM applications a
               JOIN programs p ON p.code = a.program_code
               LEFT JOIN persons per ON per.tenant_id = a.tenant_id AND per.id = a.person_id
               LEFT JOIN enterprises e ON e.tenant_id = a.tenant_id AND e.id = a.enterprise_id
               WHERE a.tenant_id = $1 AND a.state = 'in_notice' AND a.notice_starts_on <= $3
               ORDER BY a.notice_starts_on, a.id LIMIT $2""",
            unit["id"], PAGE_LIMIT, day,
        )  # fmt: skip
    english = current_locale.get() == "en"
    items = [
        {
            # a person's name is masked; an enterprise's name is public registration data
            "name": mask_name(r["person_name"]) if r["person_name"] else r["enterprise_name"],
            "id_masked": r["id_masked"] or "",
            "program": r["program_en"] if english else r["program_zh"],
            "amount_fen": r["amount_fen"],
            "starts_on": r["notice_starts_on"],
            "ends_on": r["notice_ends_on"],
        }
        for r in rows
    ]
    settings = as_json(unit["settings"]) or {}
    notice = settings.get("public_notice") or {}
    district = {
        "code": unit["code"],
        "name": unit["name_en"] if english else unit["name_zh"],
        "bureau": settings.get("bureau_name_zh") or unit["name_zh"],
        "today": day,
        # the objection contact (required of every district file; absent only for a unit
        # synced before it was)
        "address": notice.get("objection_address"),
        "phone": notice.get("objection_phone"),
        "deadline": notice.get("objection_deadline") or DEFAULT_DEADLINE,
    }
    return district, items


@get("/public/{district_code:str}/notices", name="public.notices", include_in_schema=False)
async def public_notices(district_code: FromPath[str]) -> Template:
    district, items = await notices_of(district_code)
    return Template("subsidies/public_notices.html", context={"district": district, "items": items})


ROUTES = [public_notices]
