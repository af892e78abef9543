"""Registry API (``/api/v1/people``, ``/api/v1/enterprises``, ``/api/v1/links``).

Thin: parse, call :mod:`renshe.registry.service`, shape the answer. Every answer carries masked
values; the clear value of one field comes only from ``…/unmask`` (reason required, audited).
Numbers travel in request bodies, never in URLs (look-ups are POSTs). Another district's record
answers 404 exactly like a missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from litestar import Request, delete, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from renshe import date_range
from renshe.accounts.guards import principal_of, requires_roles
from renshe.api.pagination import Limit, clamp_limit
from renshe.registry import schemas as s
from renshe.registry import service
from renshe.registry.model import DocumentInput, EnterpriseFilter, PeopleFilter
from renshe.registry.service import READERS, UNMASKERS, WRITERS, Caller
from renshe.supervision.guards import SUPERVISED
from renshe.web.request_context import request_id_of

Req = Request[Any, Any, Any]
READ = requires_roles(*READERS)
# person-level reads: a city administrator only under a live supervision grant (督查)
READING = [READ, SUPERVISED]
WRITE = requires_roles(*WRITERS)
UNMASK = requires_roles(*UNMASKERS)
PEOPLE = ["registry: people"]
ENTERPRISES = ["registry: enterprises"]


def caller(request: Req) -> Caller:
    return Caller(
        principal_of(request),
        request_id=request_id_of(request),
        ip=request.client.host if request.client else None,
    )


# ---------------------------------------------------------------- people


@post("/api/v1/people", name="api.people.create", guards=[WRITE], tags=PEOPLE, status_code=201,
      opt={"problems": (409,)})  # fmt: skip
async def create_person(request: Req, data: JSONBody[s.PersonIn]) -> s.PersonOut:
    """Register a person with one or more identity documents.

    409 with ``existing_id`` when one of the documents is already registered in this district;
    422 listing each bad field (``documents[0].number``…). Warnings (a bank account failing the
    Luhn check) answer 422 with ``confirm_warnings_required`` until sent with
    ``confirm_warnings: true``.
    """
    return s.person_out(await service.register_person(caller(request), data.to_input()))


@get("/api/v1/people", name="api.people.list", guards=READING, tags=PEOPLE)
async def list_people(  # noqa: PLR0917 - one parameter per query filter
    request: Req,
    limit: Limit = None,
    cursor: FromQuery[str | None] = None,
    residency: FromQuery[str | None] = None,
    document_type: FromQuery[str | None] = None,
    name_prefix: FromQuery[str | None] = None,
    created_from: FromQuery[date | None] = None,
    created_to: FromQuery[date | None] = None,
) -> s.PersonList:
    """People of the caller's district (a city user: every district under the city), newest first."""
    date_range.check_fields(created_from=created_from, created_to=created_to)
    filters = PeopleFilter(residency, document_type, name_prefix, created_from, created_to)
    page = await service.list_people(caller(request), filters, cursor, clamp_limit(limit))
    return s.PersonList(items=[s.person_out(p) for p in page.items], next_cursor=page.next_cursor)


@post("/api/v1/people/lookup", name="api.people.lookup", guards=READING, tags=PEOPLE, status_code=200,
      opt={"problems": (404,)})  # fmt: skip
async def lookup_person(request: Req, data: JSONBody[s.LookupIn]) -> s.PersonOut:
    """Exact look-up by document type and number: the person, or 404 (also when the person is
    registered only in another district)."""
    return s.person_out(await service.find_by_document(caller(request), data.type, data.number))


@get("/api/v1/people/{person_id:uuid}", name="api.people.detail", guards=READING, tags=PEOPLE)
async def get_person(request: Req, person_id: FromPath[UUID]) -> s.PersonOut:
    return s.person_out(await service.get_person(caller(request), person_id))


@patch("/api/v1/people/{person_id:uuid}", name="api.people.update", guards=[WRITE], tags=PEOPLE,
       opt={"problems": (409,)})  # fmt: skip
async def update_person(
    request: Req, person_id: FromPath[UUID], data: JSONBody[s.PersonPatch]
) -> s.PersonOut:
    """Change the fields sent; ``version`` must be the one read (409 when someone saved since)."""
    person = await service.update_person(
        caller(request), person_id, data.changes(), data.version, confirm_warnings=data.confirm_warnings
    )
    return s.person_out(person)


@post("/api/v1/people/{person_id:uuid}/documents", name="api.people.documents.add", guards=[WRITE],
      tags=PEOPLE, status_code=201, opt={"problems": (409,)})  # fmt: skip
async def add_document(request: Req, person_id: FromPath[UUID], data: JSONBody[s.DocumentAdd]) -> s.PersonOut:
    """Link another identity document to the person (409 if it is another person's here)."""
    person = await service.add_document(
        caller(request), person_id, DocumentInput(data.type, data.number),
        expected_version=data.version, confirm_warnings=data.confirm_warnings,
    )  # fmt: skip
    return s.person_out(person)


@delete("/api/v1/people/{person_id:uuid}/documents/{document_id:uuid}", name="api.people.documents.remove",
        guards=[WRITE], tags=PEOPLE, status_code=200, opt={"problems": (409,)})  # fmt: skip
async def remove_document(
    request: Req,
    person_id: FromPath[UUID],
    document_id: FromPath[UUID],
    version: FromQuery[int | None] = None,
) -> s.PersonOut:
    person = await service.remove_document(caller(request), person_id, document_id, expected_version=version)
    return s.person_out(person)


@post("/api/v1/people/{person_id:uuid}/unmask", name="api.people.unmask", guards=[UNMASK], tags=PEOPLE,
      status_code=200)  # fmt: skip
async def unmask_person(request: Req, person_id: FromPath[UUID], data: JSONBody[s.UnmaskIn]) -> s.UnmaskOut:
    """One field in clear (``name``, ``documents`` — one with ``document_id`` or all —, ``mobile``,
    ``bank_account``) with a reason of at least 4 characters; audited without the value."""
    shown = await service.unmask_person(
        caller(request), person_id, data.field, data.reason, document_id=data.document_id
    )
    return s.unmask_out(shown)


@get("/api/v1/people/{person_id:uuid}/links", name="api.people.links", guards=READING, tags=PEOPLE)
async def person_links(request: Req, person_id: FromPath[UUID]) -> s.LinkList:
    found = await service.links_of(caller(request), person_id=person_id)
    return s.LinkList(items=[s.link_out(link) for link in found])


# ---------------------------------------------------------------- enterprises


@post("/api/v1/enterprises", name="api.enterprises.create", guards=[WRITE], tags=ENTERPRISES,
      status_code=201, opt={"problems": (409,)})  # fmt: skip
async def create_enterprise(request: Req, data: JSONBody[s.EnterpriseIn]) -> s.EnterpriseOut:
    """Register an enterprise (409 with ``existing_id`` when its credit code is registered here)."""
    return s.enterprise_out(await service.register_enterprise(caller(request), data.to_input()))


@get("/api/v1/enterprises", name="api.enterprises.list", guards=READING, tags=ENTERPRISES)
async def list_enterprises(  # noqa: PLR0917 - one parameter per query filter
    request: Req,
    limit: Limit = None,
    cursor: FromQuery[str | None] = None,
    name_prefix: FromQuery[str | None] = None,
    created_from: FromQuery[date | None] = None,
    created_to: FromQuery[date | None] = None,
) -> s.EnterpriseList:
    date_range.check_fields(created_from=created_from, created_to=created_to)
    filters = EnterpriseFilter(name_prefix, created_from, created_to)
    page = await service.list_enterprises(caller(request), filters, cursor, clamp_limit(limit))
    return s.EnterpriseList(items=[s.enterprise_out(e) for e in page.items], next_cursor=page.next_cursor)


@post("/api/v1/enterprises/lookup", name="api.enterprises.lookup", guards=READING, tags=ENTERPRISES,
      status_code=200, opt={"problems": (404,)})  # fmt: skip
async def lookup_enterprise(request: Req, data: JSONBody[s.EnterpriseLookupIn]) -> s.EnterpriseOut:
    return s.enterprise_out(await service.find_by_uscc(caller(request), data.uscc))


@get("/api/v1/enterprises/{enterprise_id:uuid}", name="api.enterprises.detail", guards=READING,
     tags=ENTERPRISES)  # fmt: skip
async def get_enterprise(request: Req, enterprise_id: FromPath[UUID]) -> s.EnterpriseOut:
    return s.enterprise_out(await service.get_enterprise(caller(request), enterprise_id))


@patch("/api/v1/enterprises/{enterprise_id:uuid}", name="api.enterprises.update", guards=[WRITE],
       tags=ENTERPRISES, opt={"problems": (409,)})  # fmt: skip
async def update_enterprise(
    request: Req, enterprise_id: FromPath[UUID], data: JSONBody[s.EnterprisePatch]
) -> s.EnterpriseOut:
    enterprise = await service.update_enterprise(
        caller(request), enterprise_id, data.changes(), data.version, confirm_warnings=data.confirm_warnings
    )
    return s.enterprise_out(enterprise)


@post("/api/v1/enterprises/{enterprise_id:uuid}/unmask", name="api.enterprises.unmask", guards=[UNMASK],
      tags=ENTERPRISES, status_code=200)  # fmt: skip
async def unmask_enterprise(
    request: Req, enterprise_id: FromPath[UUID], data: JSONBody[s.UnmaskIn]
) -> s.UnmaskOut:
    """``legal_representative`` or ``bank_account`` in clear, with a reason; audited."""
    shown = await service.unmask_enterprise(caller(request), enterprise_id, data.field, data.reason)
    return s.unmask_out(shown)


@get("/api/v1/enterprises/{enterprise_id:uuid}/links", name="api.enterprises.links", guards=READING,
     tags=ENTERPRISES)  # fmt: skip
async def enterprise_links(request: Req, enterprise_id: FromPath[UUID]) -> s.LinkList:
    found = await service.links_of(caller(request), enterprise_id=enterprise_id)
    return s.LinkList(items=[s.link_out(link) for link in found])


# ---------------------------------------------------------------- links


@post("/api/v1/links", name="api.links.create", guards=[WRITE], tags=ENTERPRISES, status_code=201,
      opt={"problems": (404, 409)})  # fmt: skip
async def create_link(request: Req, data: JSONBody[s.LinkIn]) -> s.LinkOut:
    """Link a person to an enterprise as ``founder`` or ``employee`` (both of this district)."""
    link = await service.link_person(
        caller(request), data.person_id, data.enterprise_id, data.role, since=data.since, until=data.until
    )
    return s.link_out(link)


@patch("/api/v1/links/{link_id:uuid}", name="api.links.end", guards=[WRITE], tags=ENTERPRISES)
async def end_link(request: Req, link_id: FromPath[UUID], data: JSONBody[s.LinkEnd]) -> s.LinkOut:
    """End a link on ``until`` (the person left; the founder withdrew)."""
    return s.link_out(await service.end_link(caller(request), link_id, data.until))


@delete("/api/v1/links/{link_id:uuid}", name="api.links.remove", guards=[WRITE], tags=ENTERPRISES)
async def remove_link(request: Req, link_id: FromPath[UUID]) -> None:
    """Delete a link entered by mistake."""
    await service.remove_link(caller(request), link_id)


ROUTES = [
    create_person, list_people, lookup_person, get_person, update_person, add_document, remove_document,
    unmask_person, person_links, create_enterprise, list_enterprises, lookup_enterprise, get_enterprise,
    update_enterprise, unmask_enterprise, enterprise_links, create_link, end_link, remove_link,
]  # fmt: skip
