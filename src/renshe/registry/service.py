"""The registry as a signed-in user uses it (pages and API alike): who may do what, and one
tenant transaction per call.

* read (list, get, look up): district clerk, reviewer, finance, district admin — their district;
  the city administrator only under supervision (督查, :mod:`renshe.supervision`): the districts a
  live grant opens, read-only. A city analyst never reads a person (aggregates only);
* write (register, change, documents, links): district clerk only — a city user's write is
  ``Forbidden`` (403) even though the route guard already refused it;
* unmask: district clerk, reviewer, finance — never a city user.

The functions below open the transaction and call the domain modules (``people``,
``enterprises``, ``links``, ``unmask``), which a job (bulk import) calls directly inside its own
transaction with the district and an actor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from renshe.accounts.authentication import Origin, actor_for
from renshe.accounts.principal import Principal, Role
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.errors import Forbidden
from renshe.registry import enterprises, links, people, unmask
from renshe.registry.model import (
    DocumentInput,
    Enterprise,
    EnterpriseFilter,
    EnterpriseInput,
    Link,
    Listing,
    PeopleFilter,
    Person,
    PersonInput,
)
from renshe.registry.unmask import Unmasked

# the city administrator: only through ``renshe.supervision.guards.SUPERVISED`` on the route
READERS = frozenset({Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
WRITERS = frozenset({Role.CLERK})
UNMASKERS = frozenset({Role.CLERK, Role.REVIEWER, Role.FINANCE})


@dataclass(frozen=True, slots=True)
class Caller:
    """A principal acting in one request (or one command)."""

    principal: Principal
    request_id: str | None = None
    ip: str | None = None

    @property
    def actor(self) -> audit.Actor:
        return actor_for(self.principal, Origin(ip=self.ip, request_id=self.request_id))

    @property
    def readable(self) -> frozenset[UUID]:
        return self.principal.readable_units

    def context(self) -> TenantContext:
        return self.principal.context(self.request_id)

    def can_read(self) -> bool:
        return self.principal.has(*READERS)

    def can_write(self) -> bool:
        return self.principal.is_district and self.principal.has(*WRITERS)

    def can_unmask(self) -> bool:
        return self.principal.is_district and self.principal.has(*UNMASKERS)

    def reading(self) -> frozenset[UUID]:
        if not self.can_read():
            raise Forbidden()
        return self.readable

    def writing_district(self) -> UUID:
        """The district this caller writes to (``Forbidden`` for anyone but a district clerk)."""
        if not self.can_write():
            raise Forbidden()
        return self.principal.org_unit.id

    def unmasking_district(self) -> UUID:
        if not self.can_unmask():
            raise Forbidden()
        return self.principal.org_unit.id


# ---------------------------------------------------------------- people


async def register_person(caller: Caller, data: PersonInput) -> Person:
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await people.register_person(tenant, caller.actor, data)


async def get_person(caller: Caller, person_id: UUID) -> Person:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        return await people.get_person(person_id, units)


async def find_by_document(caller: Caller, doc_type: str, number: str) -> Person:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        return await people.find_by_document(doc_type, number, units)


async def list_people(
    caller: Caller, filters: PeopleFilter, cursor: str | None, limit: int
) -> Listing[Person]:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        return await people.list_people(units, filters, cursor, limit)


async def update_person(
    caller: Caller, person_id: UUID, changes: Mapping[str, Any], expected_version: int,
    *, confirm_warnings: bool = False,
) -> Person:  # fmt: skip
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await people.update_person(
            tenant, caller.actor, person_id, changes, expected_version, confirm_warnings=confirm_warnings
        )


async def add_document(
    caller: Caller, person_id: UUID, document: DocumentInput,
    *, expected_version: int | None = None, confirm_warnings: bool = False,
) -> Person:  # fmt: skip
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await people.add_document(tenant, caller.actor, person_id, document,
                                         expected_version=expected_version,
                                         confirm_warnings=confirm_warnings)  # fmt: skip


async def remove_document(
    caller: Caller, person_id: UUID, document_id: UUID, *, expected_version: int | None = None
) -> Person:
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await people.remove_document(tenant, caller.actor, person_id, document_id,
                                            expected_version=expected_version)  # fmt: skip


async def unmask_person(
    caller: Caller, person_id: UUID, field: str, reason: str | None, *, document_id: UUID | None = None
) -> Unmasked:
    tenant = caller.unmasking_district()
    async with tenant_transaction(caller.context()):
        return await unmask.unmask_person(tenant, caller.actor, person_id, field, reason,
                                          document_id=document_id)  # fmt: skip


# ---------------------------------------------------------------- enterprises


async def register_enterprise(caller: Caller, data: EnterpriseInput) -> Enterprise:
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await enterprises.register_enterprise(tenant, caller.actor, data)


async def get_enterprise(caller: Caller, enterprise_id: UUID) -> Enterprise:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        return await enterprises.get_enterprise(enterprise_id, units)


async def find_by_uscc(caller: Caller, uscc: str) -> Enterprise:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        return await enterprises.find_by_uscc(uscc, units)


async def list_enterprises(
    caller: Caller, filters: EnterpriseFilter, cursor: str | None, limit: int
) -> Listing[Enterprise]:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        return await enterprises.list_enterprises(units, filters, cursor, limit)


async def update_enterprise(
    caller: Caller, enterprise_id: UUID, changes: Mapping[str, Any], expected_version: int,
    *, confirm_warnings: bool = False,
) -> Enterprise:  # fmt: skip
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await enterprises.update_enterprise(
            tenant, caller.actor, enterprise_id, changes, expected_version, confirm_warnings=confirm_warnings
        )


async def unmask_enterprise(caller: Caller, enterprise_id: UUID, field: str, reason: str | None) -> Unmasked:
    tenant = caller.unmasking_district()
    async with tenant_transaction(caller.context()):
        return await unmask.unmask_enterprise(tenant, caller.actor, enterprise_id, field, reason)


# ---------------------------------------------------------------- links


async def link_person(caller: Caller, person_id: UUID, enterprise_id: UUID, role: str, **dates: Any) -> Link:
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await links.link_person(tenant, caller.actor, person_id, enterprise_id, role, **dates)


async def links_of(
    caller: Caller, *, person_id: UUID | None = None, enterprise_id: UUID | None = None
) -> list[Link]:
    units = caller.reading()
    async with tenant_transaction(caller.context()):
        if person_id is not None:
            await people.get_person(person_id, units)
        if enterprise_id is not None:
            await enterprises.get_enterprise(enterprise_id, units)
        return await links.links_of(person_id=person_id, enterprise_id=enterprise_id, tenant_ids=units)


async def end_link(caller: Caller, link_id: UUID, until: Any) -> Link:
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        return await links.end_link(tenant, caller.actor, link_id, until)


async def remove_link(caller: Caller, link_id: UUID) -> None:
    tenant = caller.writing_district()
    async with tenant_transaction(caller.context()):
        await links.remove_link(tenant, caller.actor, link_id)
