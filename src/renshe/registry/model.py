"""The registry's vocabulary: what callers hand in (``PersonInput``, ``EnterpriseInput``), what
they get back (``Person``, ``Enterprise``, ``Link`` — masked), and the errors services raise.

Read models carry masked values only (脱敏); the clear value of one field is available solely
through :mod:`renshe.registry.unmask`, with a reason, audited.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar
from uuid import UUID

from renshe.errors import Conflict, ValidationFailed
from renshe.i18n import lazy
from renshe.registry.masking import mask_name

T = TypeVar("T")


class Education(StrEnum):
    """学历."""

    NONE = "none"  # 无
    PRIMARY = "primary"  # 小学
    JUNIOR_SECONDARY = "junior_secondary"  # 初中
    SENIOR_SECONDARY = "senior_secondary"  # 高中
    VOCATIONAL = "vocational"  # 中专 / 技校
    ASSOCIATE = "associate"  # 大专
    BACHELOR = "bachelor"  # 本科
    MASTER = "master"  # 硕士
    DOCTORATE = "doctorate"  # 博士


class LinkRole(StrEnum):
    FOUNDER = "founder"  # 创办人
    EMPLOYEE = "employee"  # 员工


# Display names (msgids, translated in registry.po) for forms, lists and exports.
EDUCATION_LABELS: Mapping[Education, str] = {
    Education.NONE: lazy("No formal education"),
    Education.PRIMARY: lazy("Primary school"),
    Education.JUNIOR_SECONDARY: lazy("Junior secondary school"),
    Education.SENIOR_SECONDARY: lazy("Senior secondary school"),
    Education.VOCATIONAL: lazy("Secondary vocational school"),
    Education.ASSOCIATE: lazy("Associate degree"),
    Education.BACHELOR: lazy("Bachelor's degree"),
    Education.MASTER: lazy("Master's degree"),
    Education.DOCTORATE: lazy("Doctorate"),
}
LINK_ROLE_LABELS: Mapping[LinkRole, str] = {
    LinkRole.FOUNDER: lazy("Founder"),
    LinkRole.EMPLOYEE: lazy("Employee"),
}


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class DocumentInput:
    type: str
    number: str


@dataclass(frozen=True, slots=True)
class BankInput:
    """收款账户: account number (protected), account name, bank and branch code."""

    account_number: str
    account_name: str | None = None
    bank_name: str | None = None
    branch_code: str | None = None


@dataclass(frozen=True, slots=True)
class PersonInput:
    name: str
    documents: Sequence[DocumentInput]
    residency: str | None = None  # inferred from the documents when they imply one
    sex: str | None = None
    birth_date: date | None = None
    mobile: str | None = None
    education: str | None = None
    graduated_on: date | None = None
    school: str | None = None
    bank: BankInput | None = None
    address: str | None = None
    notes: str | None = None
    confirm_warnings: bool = False


@dataclass(frozen=True, slots=True)
class EnterpriseInput:
    name: str
    uscc: str
    legal_representative: str
    registered_on: date | None = None
    registered_district: str | None = None  # 6-digit code; default: the USCC's address code
    bank: BankInput | None = None
    address: str | None = None
    notes: str | None = None
    confirm_warnings: bool = False


def as_bank_input(value: object) -> BankInput | None:
    """A ``bank`` change as given: None clears the account; a mapping (a form, a JSON body) or a
    ``BankInput`` sets it."""
    if value is None or isinstance(value, BankInput):
        return value
    if isinstance(value, Mapping):
        return BankInput(
            account_number=str(value.get("account_number") or ""),
            account_name=value.get("account_name"),
            bank_name=value.get("bank_name"),
            branch_code=value.get("branch_code"),
        )
    raise TypeError("bank must be a BankInput, a mapping or None")


# Fields a PATCH may change (documents have their own add/remove operations).
PERSON_CHANGEABLE = frozenset(
    {"name", "sex", "birth_date", "residency", "mobile", "education", "graduated_on", "school",
     "bank", "address", "notes"}
)  # fmt: skip
ENTERPRISE_CHANGEABLE = frozenset(
    {"name", "legal_representative", "registered_on", "registered_district", "bank", "address", "notes"}
)


# ---------------------------------------------------------------- read models (masked)


@dataclass(frozen=True, slots=True)
class PersonDocument:
    id: UUID
    type: str
    number_masked: str
    renewal_count: int | None = None


@dataclass(frozen=True, slots=True)
class BankView:
    account_masked: str | None
    account_name: str | None
    bank_name: str | None
    branch_code: str | None

    @property
    def account_name_masked(self) -> str | None:
        return mask_name(self.account_name) if self.account_name else None

    def holder_shown(self, owner: str) -> str | None:
        """An enterprise's account holder as shown by default: its own registered name (public
        data) in clear, anyone else's — a sole proprietor's account is often in the owner's
        own name — masked."""
        if not self.account_name:
            return None
        same = " ".join(self.account_name.split()) == " ".join(owner.split())
        return self.account_name if same else mask_name(self.account_name)


@dataclass(frozen=True, slots=True)
class Person:
    id: UUID
    tenant_id: UUID
    district_code: str
    name: str  # clear: only for code that must compare names; show ``masked_name``
    sex: str | None
    birth_date: date | None
    residency: str
    mobile_masked: str | None
    education: str | None
    graduated_on: date | None
    school: str | None
    bank: BankView | None
    address: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    documents: tuple[PersonDocument, ...] = ()

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


@dataclass(frozen=True, slots=True)
class Enterprise:
    id: UUID
    tenant_id: UUID
    district_code: str
    name: str
    uscc: str  # public registration data: not masked
    legal_representative: str
    registered_on: date | None
    registered_district: str | None
    bank: BankView | None
    address: str | None
    notes: str | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Link:
    id: UUID
    person_id: UUID
    enterprise_id: UUID
    role: str
    since: date | None
    until: date | None
    person_name_masked: str = ""
    enterprise_name: str = ""


@dataclass(frozen=True, slots=True)
class PeopleFilter:
    residency: str | None = None
    document_type: str | None = None
    name_prefix: str | None = None
    created_from: date | None = None
    created_to: date | None = None


@dataclass(frozen=True, slots=True)
class EnterpriseFilter:
    name_prefix: str | None = None
    created_from: date | None = None
    created_to: date | None = None


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    items: list[T]
    next_cursor: str | None


# ---------------------------------------------------------------- errors


class FieldErrors(ValidationFailed):
    """Field → msgid, with optional ``%(name)s`` parameters per field (a birth date, a count).

    ``warnings_only`` is true when nothing is wrong but warnings wait for confirmation: the caller
    sends the same data again with ``confirm_warnings``.
    """

    def __init__(
        self,
        errors: dict[str, str],
        field_params: Mapping[str, Mapping[str, object]] | None = None,
        *,
        warnings_only: bool = False,
    ) -> None:
        message = CONFIRM_WARNINGS if warnings_only else lazy("Please correct the marked fields.")
        super().__init__(errors, message)
        self.field_params = {k: dict(v) for k, v in (field_params or {}).items()}
        self.warnings_only = warnings_only
        self.extensions: dict[str, Any] = {"confirm_warnings_required": True} if warnings_only else {}


class DuplicateRecord(Conflict):
    """The document (or credit code) is already registered in this district: ``existing_id``
    names the record. Another district's record is never a duplicate here."""

    def __init__(self, existing_id: UUID, message: str) -> None:
        super().__init__(message)
        self.existing_id = existing_id
        self.extensions: dict[str, Any] = {"existing_id": str(existing_id)}


class StaleVersion(Conflict):
    def __init__(self) -> None:
        super().__init__(STALE_EDIT)


CONFIRM_WARNINGS = lazy(
    "Please check the warnings. If the entries are correct, confirm the warnings and save again."
)
STALE_EDIT = lazy(
    "Someone else changed this record after you opened it. Reload it, check the changes and edit again."
)


@dataclass(slots=True)
class Problems:
    """Collects field errors and warnings while validating one input."""

    errors: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, object]] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    def error(self, name: str, msgid: str, params: Mapping[str, object] | None = None) -> None:
        self.errors.setdefault(name, msgid)
        if params:
            self.params.setdefault(name, dict(params))

    def warn(self, name: str, msgid: str) -> None:
        self.warnings.setdefault(name, msgid)

    def raise_if_any(self, confirm_warnings: bool) -> None:
        if self.errors:
            raise FieldErrors(self.errors, self.params)
        if self.warnings and not confirm_warnings:
            raise FieldErrors(dict(self.warnings), warnings_only=True)
