"""JSON shapes of the registry API (stable contract, ``02-registry.md``).

Inputs default every field so that a missing one reaches the service and comes back as a 422
naming the field in the caller's language (instead of a decoder's English message). Outputs carry
masked values only; ``birth_year`` rather than the birth date, which with the masked ID number
would give the number away.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import UNSET, UnsetType

from renshe.api.openapi import rule
from renshe.registry.identifiers.model import DocumentType, Residency, Sex
from renshe.registry.masking import mask_name
from renshe.registry.model import (
    BankInput,
    BankView,
    DocumentInput,
    Education,
    Enterprise,
    EnterpriseInput,
    Link,
    LinkRole,
    Person,
    PersonInput,
)
from renshe.registry.unmask import MAX_REASON, MIN_REASON, EnterpriseField, PersonField, Unmasked
from renshe.registry.validation import NAME_MAX, TEXT_LIMITS

# The rules the registry's validation enforces (422 naming the field), as the document states
# them; the decoder does not check them (renshe.api.openapi.rule).
DocType = Annotated[str, rule(enum=[t.value for t in DocumentType])]
Name = Annotated[str, rule(max_length=NAME_MAX)]
Residence = Annotated[str, rule(enum=[*(r.value for r in Residency), None])]
SexChoice = Annotated[str, rule(enum=[*(s.value for s in Sex), None])]
EducationChoice = Annotated[str, rule(enum=[*(e.value for e in Education), None])]
School = Annotated[str, rule(max_length=TEXT_LIMITS["school"])]
Address = Annotated[str, rule(max_length=TEXT_LIMITS["address"])]
Notes = Annotated[str, rule(max_length=TEXT_LIMITS["notes"])]
AccountName = Annotated[str, rule(max_length=TEXT_LIMITS["account_name"])]
BankName = Annotated[str, rule(max_length=TEXT_LIMITS["bank_name"])]
BranchCode = Annotated[str, rule(pattern=r"^\s*[0-9A-Za-z]{1,20}\s*$")]
UnmaskField = Annotated[str, rule(enum=sorted({*PersonField, *EnterpriseField}))]
Reason = Annotated[str, rule(min_length=MIN_REASON, max_length=MAX_REASON)]
Role = Annotated[str, rule(enum=[r.value for r in LinkRole])]


class DocumentIn(msgspec.Struct, forbid_unknown_fields=True):
    type: DocType = ""
    number: str = ""


class BankIn(msgspec.Struct, forbid_unknown_fields=True):
    account_number: str = ""
    account_name: AccountName | None = None
    bank_name: BankName | None = None
    branch_code: BranchCode | None = None

    def to_input(self) -> BankInput:
        return BankInput(self.account_number, self.account_name, self.bank_name, self.branch_code)


class PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name = ""
    documents: list[DocumentIn] = msgspec.field(default_factory=list)
    residency: Residence | None = None
    sex: SexChoice | None = None
    birth_date: date | None = None
    mobile: str | None = None
    education: EducationChoice | None = None
    graduated_on: date | None = None
    school: School | None = None
    bank: BankIn | None = None
    address: Address | None = None
    notes: Notes | None = None
    confirm_warnings: bool = False

    def to_input(self) -> PersonInput:
        return PersonInput(
            name=self.name, documents=[DocumentInput(d.type, d.number) for d in self.documents],
            residency=self.residency, sex=self.sex, birth_date=self.birth_date, mobile=self.mobile,
            education=self.education, graduated_on=self.graduated_on, school=self.school,
            bank=self.bank.to_input() if self.bank else None, address=self.address, notes=self.notes,
            confirm_warnings=self.confirm_warnings,
        )  # fmt: skip


def _changes(struct: msgspec.Struct, skip: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if name in skip or value is UNSET:
            continue
        out[name] = value.to_input() if isinstance(value, BankIn) else value
    return out


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields present change; ``null`` clears an optional one. ``version`` is the one
    the client read (optimistic locking)."""

    version: int
    confirm_warnings: bool = False
    name: str | UnsetType = UNSET
    residency: str | UnsetType | None = UNSET
    sex: str | UnsetType | None = UNSET
    birth_date: date | UnsetType | None = UNSET
    mobile: str | UnsetType | None = UNSET
    education: str | UnsetType | None = UNSET
    graduated_on: date | UnsetType | None = UNSET
    school: str | UnsetType | None = UNSET
    bank: BankIn | UnsetType | None = UNSET
    address: str | UnsetType | None = UNSET
    notes: str | UnsetType | None = UNSET

    def changes(self) -> dict[str, Any]:
        return _changes(self, frozenset({"version", "confirm_warnings"}))


class DocumentAdd(msgspec.Struct, forbid_unknown_fields=True):
    type: DocType = ""
    number: str = ""
    version: int | None = None
    confirm_warnings: bool = False


class LookupIn(msgspec.Struct, forbid_unknown_fields=True):
    type: DocType = ""
    number: str = ""


class EnterpriseLookupIn(msgspec.Struct, forbid_unknown_fields=True):
    uscc: str = ""


class UnmaskIn(msgspec.Struct, forbid_unknown_fields=True):
    field: UnmaskField = ""
    reason: Reason = ""
    document_id: UUID | None = None


class EnterpriseIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str = ""
    uscc: str = ""
    legal_representative: Name = ""
    registered_on: date | None = None
    registered_district: str | None = None
    bank: BankIn | None = None
    address: Address | None = None
    notes: Notes | None = None
    confirm_warnings: bool = False

    def to_input(self) -> EnterpriseInput:
        return EnterpriseInput(
            name=self.name, uscc=self.uscc, legal_representative=self.legal_representative,
            registered_on=self.registered_on, registered_district=self.registered_district,
            bank=self.bank.to_input() if self.bank else None, address=self.address, notes=self.notes,
            confirm_warnings=self.confirm_warnings,
        )  # fmt: skip


class EnterprisePatch(msgspec.Struct, forbid_unknown_fields=True):
    version: int
    confirm_warnings: bool = False
    name: str | UnsetType = UNSET
    legal_representative: str | UnsetType = UNSET
    registered_on: date | UnsetType | None = UNSET
    registered_district: str | UnsetType | None = UNSET
    bank: BankIn | UnsetType | None = UNSET
    address: str | UnsetType | None = UNSET
    notes: str | UnsetType | None = UNSET

    def changes(self) -> dict[str, Any]:
        return _changes(self, frozenset({"version", "confirm_warnings"}))


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    person_id: UUID
    enterprise_id: UUID
    role: Role = ""
    since: date | None = None
    until: date | None = None


class LinkEnd(msgspec.Struct, forbid_unknown_fields=True):
    until: date


# ---------------------------------------------------------------- outputs


class DocumentOut(msgspec.Struct):
    id: UUID
    type: str
    number: str  # masked
    renewal_count: int | None = None


class BankOut(msgspec.Struct):
    account_number: str | None  # masked
    account_name: str | None  # masked, except an enterprise's own name
    bank_name: str | None
    branch_code: str | None


class PersonOut(msgspec.Struct):
    id: UUID
    district: str
    name: str  # masked
    documents: list[DocumentOut]
    residency: str
    sex: str | None
    birth_year: int | None
    mobile: str | None  # masked
    education: str | None
    graduated_on: date | None
    school: str | None
    bank: BankOut | None
    address: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class PersonList(msgspec.Struct):
    items: list[PersonOut]
    next_cursor: str | None


class EnterpriseOut(msgspec.Struct):
    id: UUID
    district: str
    name: str
    uscc: str
    legal_representative: str  # masked
    registered_on: date | None
    registered_district: str | None
    bank: BankOut | None
    address: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class EnterpriseList(msgspec.Struct):
    items: list[EnterpriseOut]
    next_cursor: str | None


class LinkOut(msgspec.Struct):
    id: UUID
    person_id: UUID
    enterprise_id: UUID
    role: str
    since: date | None
    until: date | None
    person_name: str  # masked
    enterprise_name: str


class LinkList(msgspec.Struct):
    items: list[LinkOut]


class ClearDocumentOut(msgspec.Struct):
    id: UUID
    type: str
    number: str


class UnmaskOut(msgspec.Struct, omit_defaults=True):
    """The clear value, for this answer only."""

    field: str
    value: str | None = None
    documents: list[ClearDocumentOut] | None = None


def _bank(view: BankView | None, *, owner: str | None = None) -> BankOut | None:
    """``owner``: the enterprise whose account it is (its own name shown in clear)."""
    if view is None:
        return None
    name = view.account_name_masked if owner is None else view.holder_shown(owner)
    return BankOut(view.account_masked, name, view.bank_name, view.branch_code)


def person_out(p: Person) -> PersonOut:
    return PersonOut(
        id=p.id, district=p.district_code, name=p.masked_name,
        documents=[DocumentOut(d.id, d.type, d.number_masked, d.renewal_count) for d in p.documents],
        residency=p.residency, sex=p.sex, birth_year=p.birth_date.year if p.birth_date else None,
        mobile=p.mobile_masked, education=p.education, graduated_on=p.graduated_on, school=p.school,
        bank=_bank(p.bank), address=p.address, notes=p.notes, version=p.version,
        created_at=p.created_at, updated_at=p.updated_at,
    )  # fmt: skip


def enterprise_out(e: Enterprise) -> EnterpriseOut:
    return EnterpriseOut(
        id=e.id, district=e.district_code, name=e.name, uscc=e.uscc,
        legal_representative=mask_name(e.legal_representative), registered_on=e.registered_on,
        registered_district=e.registered_district, bank=_bank(e.bank, owner=e.name), address=e.address,
        notes=e.notes, version=e.version, created_at=e.created_at, updated_at=e.updated_at,
    )  # fmt: skip


def link_out(link: Link) -> LinkOut:
    return LinkOut(
        id=link.id, person_id=link.person_id, enterprise_id=link.enterprise_id, role=link.role,
        since=link.since, until=link.until, person_name=link.person_name_masked,
        enterprise_name=link.enterprise_name,
    )  # fmt: skip


def unmask_out(u: Unmasked) -> UnmaskOut:
    documents = [ClearDocumentOut(d.id, d.type, d.number) for d in u.documents] if u.documents else None
    return UnmaskOut(field=u.field, value=u.value, documents=documents)
