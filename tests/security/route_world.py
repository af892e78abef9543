"""One object of every kind a route can name by id, made in one district, for the route attacks.

``KIND_OF`` maps a route's path parameter to the kind of object it names. A parameter this module
does not know makes ``kind_of`` fail loudly, so a new route with a new kind of id cannot pass the
cross-district test without someone adding a factory here. Parameters that are not ids at all are
listed in ``NOT_IDS`` with the reason, and ``VALUES`` gives the ones that pick an action.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from renshe.accounts.principal import Role
from renshe.alerts import service as alerts
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.disbursement.build import BuildRequest, build
from renshe.registry import links
from renshe.registry.imports import service as imports
from renshe.subsidies.applications import notice
from renshe.talent import applications as talent_applications
from renshe.talent import issuance
from renshe.talent.card_numbers import format_card_number
from tests.accounts.support import make_user
from tests.disbursement.awards import make_ready
from tests.hkmo import grants_support as hkmo_grants_support
from tests.hkmo import support as hkmo_support
from tests.registry.support import TESTER, unit_id
from tests.subsidies.applications_support import caller, person
from tests.subsidies.pages_support import enterprise, in_notice
from tests.talent import support as talent_support

# Path parameters that do not name a stored object of a district, and why.
NOT_IDS: dict[str, str] = {
    "file_path": "a static file of the release, the same for every district",
    "code": "a language code (/lang) or a program code of the city catalogue (/api/v1/programs)",
    "file_format": "the import template's format (csv, xlsx), the same for every district",
    "district_code": "the public notice board of a district: public by design (公示)",
    "path": "the API documentation's own pages",
    "district": "a district's signed card status list (/verify/status): public by design, for offline checks",
    "token": "a card's signed verification token (/verify): public by design, it is the card's QR code",
    "year": "a year of the city's HK/MO targets: city-wide reference data, written by the city admin only",
    "month": "a month of the city bureau's own monthly reports (YYYY-MM): no district role may use the route",
    "supervision_id": "a city administrator's own supervision grant: the city bureau's row, no district"
    " role may use its route, and the service ends only the caller's own",
}

# Parameters that select an action on the object named by the other parameters: every value is tried.
VALUES: dict[str, tuple[str, ...]] = {
    "action": ("submit", "approve", "reject", "withdraw", "correct-payee", "confirm-employer"),
}


def kind_of(path: str, param: str) -> str:
    """The kind of object ``param`` of route ``path`` names; fails for a parameter nobody mapped."""
    if param == "batch_id":
        return "import_batch" if path.startswith("/registry/imports/") else "disbursement_batch"
    if param == "application_id" and path.startswith(("/api/v1/talent-cards/", "/talent/")):
        return "talent_application"
    if param == "application_id" and "{objection_id" in path:
        return "objection_application"  # the objection's own award: the route names both
    kind = KIND_OF.get(param)
    if kind is None:
        raise LookupError(
            f"route {path} takes the path parameter {param!r}, which tests/security/route_world.py does"
            " not know: add a factory for that kind of object (KIND_OF) or, if it names no district's"
            " object, list it in NOT_IDS with the reason"
        )
    return kind


KIND_OF: dict[str, str] = {
    "person_id": "person",
    "document_id": "document",
    "enterprise_id": "enterprise",
    "link_id": "link",
    "user_id": "user",
    "job_id": "job",
    "application_id": "application",
    "objection_id": "objection",
    "card_no": "talent_card",
    "youth_id": "hkmo_youth",
    "grant_id": "hkmo_grant",
    "tranche_id": "hkmo_tranche",
    "clawback_id": "hkmo_clawback",
    "alert_id": "alert",
}

# Where each kind lives, so a test can prove the object did not change.
TABLE_OF = {
    "person": "persons",
    "document": "person_documents",
    "enterprise": "enterprises",
    "link": "person_enterprise_links",
    "user": "users",
    "job": "jobs",
    "import_batch": "import_batches",
    "application": "applications",
    "objection": "objections",
    "objection_application": "applications",
    "disbursement_batch": "disbursement_batches",
    "talent_application": "talent_applications",
    "talent_card": "talent_cards",
    "hkmo_youth": "hkmo_youth",
    "hkmo_grant": "hkmo_grants",
    "hkmo_tranche": "hkmo_tranches",
    "hkmo_clawback": "hkmo_clawbacks",
    "alert": "alerts",
}


# Kinds a route names by something else than their id (the value in the path), and a well-formed
# value of that kind that exists nowhere (a malformed one would be refused before any lookup).
def nowhere_value(param: str) -> str:
    if param == "card_no":
        return format_card_number("440785", 2099, secrets.randbelow(900_000) + 1)
    return str(uuid.uuid4())


@dataclass
class World:
    code: str
    tenant: UUID
    ids: dict[str, UUID] = field(default_factory=dict)
    uscc: str = ""  # the enterprise's credit code (the link form names an enterprise by it)
    route_values: dict[str, str] = field(default_factory=dict)  # kind → what routes name it by

    def route_value(self, kind: str) -> str:
        return self.route_values.get(kind, str(self.ids[kind]))


async def build_world(code: str, admin_url: str) -> World:
    """One object of every kind in district ``code``, each in a state where the routes' actions
    would succeed for an insider: a person with a document, linked to an enterprise; a clerk; an
    import awaiting validation (and its job); an award in public notice; an award on hold with an
    open objection; a built payment batch awaiting approval."""
    tenant = await unit_id(code)
    world = World(code, tenant)
    ids = world.ids
    ids["person"] = await person(code)
    ids["enterprise"] = await enterprise(code)
    clerk = await caller(code, Role.CLERK)
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        ids["document"] = await conn.fetchval(
            "SELECT id FROM person_documents WHERE tenant_id = $1 AND person_id = $2", tenant, ids["person"]
        )
        made = await links.link_person(
            tenant, TESTER, ids["person"], ids["enterprise"], "founder", since=date(2022, 1, 1)
        )
        ids["link"] = made.id
        world.uscc = await conn.fetchval("SELECT uscc FROM enterprises WHERE id = $1", ids["enterprise"])
        batch = await imports.upload(
            tenant, clerk.actor, "people", "people.csv", "姓名,证件类型,证件号码\n".encode()
        )
        ids["import_batch"] = batch.id
        ids["job"] = await conn.fetchval(
            "SELECT validate_job_id FROM import_batches WHERE tenant_id = $1 AND id = $2", tenant, batch.id
        )
    ids["user"] = (await make_user(code, Role.CLERK))[0]
    ids["application"] = UUID(str((await in_notice(code))["id"]))
    held = UUID(str((await in_notice(code))["id"]))
    objection = await notice.record_objection(
        clerk, held, raised_by="张三", raised_on=date(2026, 3, 2), content="申报材料与实际经营不符"
    )
    ids["objection"], ids["objection_application"] = objection["id"], held
    await make_ready(admin_url, tenant, 2)
    built = await build(BuildRequest(tenant, date(2026, 6, 1), "nightly", f"nightly:{uuid.uuid4()}"))
    ids["disbursement_batch"] = UUID(built.batches[0])
    # talent cards: an application awaiting review, and an issued card (named by its number)
    talent_clerk, _ = await talent_support.staff(code)
    person_id, employer_id = await talent_support.parties(code)
    talent = talent_applications
    waiting = await talent.create(talent_clerk, talent_support.evidence(person_id, employer_id))
    waiting = await talent.confirm_employer(talent_clerk, waiting["id"], waiting["version"], "人事部")
    waiting = await talent.submit(talent_clerk, waiting["id"], waiting["version"])
    ids["talent_application"] = waiting["id"]
    granted = await talent_support.approved(code)
    signer = await issuance.signer_for_run()
    card = await issuance.issue_in_own_transaction(tenant, granted["id"], date.today(), signer)
    assert card is not None
    async with tenant_transaction(TenantContext.district(tenant)):
        ids["talent_card"] = await current_transaction().connection.fetchval(
            "SELECT id FROM talent_cards WHERE tenant_id = $1 AND card_no = $2", tenant, card.card_no
        )
    world.route_values["talent_card"] = card.card_no
    ids["hkmo_youth"] = (await hkmo_support.registered(code))["id"]  # a registered Hong Kong youth
    # an approved rent grant whose first tranche was paid, and a clawback owed on it
    paid = await hkmo_grants_support.paid_first_tranche(admin_url, code)
    ids["hkmo_grant"], ids["hkmo_tranche"] = paid["grant"]["id"], paid["grant"]["tranches"][1]["id"]
    ids["hkmo_clawback"] = paid["clawback"]["id"]
    async with tenant_transaction(TenantContext.district(tenant)):  # what a nightly check found
        await alerts.raise_alert(
            tenant, "hkmo.ledger_unbalanced", f"grant:{uuid.uuid4()}", {}, date(2026, 3, 2)
        )
        ids["alert"] = await current_transaction().connection.fetchval(
            "SELECT id FROM alerts WHERE tenant_id = $1 ORDER BY raised_at DESC LIMIT 1", tenant
        )
    assert set(ids) == set(TABLE_OF), set(TABLE_OF) ^ set(ids)
    return world


async def snapshot(admin_url: str, world: World) -> dict[str, Any]:
    """Every object of ``world`` as stored, and how many rows of each tenant table its district
    holds (so a row added or removed anywhere in the district shows too). Read as a superuser."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        seen: dict[str, Any] = {}
        for kind, object_id in world.ids.items():
            seen[kind] = await conn.fetchval(
                f"SELECT to_jsonb(t)::text FROM {TABLE_OF[kind]} t WHERE id = $1", object_id
            )
            assert seen[kind] is not None, (kind, object_id)
        tables = await conn.fetch(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                 AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                             AND a.attname = 'tenant_id' AND NOT a.attisdropped)"""
        )
        for table in tables:
            name = table["relname"]
            seen[f"rows:{name}"] = await conn.fetchval(
                f"SELECT count(*) FROM {name} WHERE tenant_id = $1", world.tenant
            )
        return seen
    finally:
        await conn.close()
