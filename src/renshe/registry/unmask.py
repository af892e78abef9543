"""脱敏查看 — showing one protected field of one record in clear, with a typed reason, audited.

The audit record (``person.unmasked`` / ``enterprise.unmasked``) names the field and the reason,
never the value. The clear value is returned to the caller for that one answer only; nothing is
cached or logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from renshe import text_rules
from renshe.audit import service as audit
from renshe.errors import NotFound
from renshe.i18n import lazy
from renshe.registry import documents as docs
from renshe.registry import repository as repo
from renshe.registry.model import Problems
from renshe.registry.sealing import ENTERPRISES, PERSONS, unseal

MIN_REASON = 4
MAX_REASON = 500
ENTER_REASON = lazy("Give the reason for viewing this value (at least %(min)s characters).")
REASON_TOO_LONG = lazy("This is too long (at most %(max)s characters).")
UNKNOWN_FIELD = lazy("Choose a field that can be shown in clear.")
NOTHING_STORED = lazy("This record has no such value.")


class PersonField(StrEnum):
    NAME = "name"
    DOCUMENTS = "documents"  # one document (``document_id``) or all of them
    MOBILE = "mobile"
    BANK_ACCOUNT = "bank_account"


class EnterpriseField(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    BANK_ACCOUNT = "bank_account"


@dataclass(frozen=True, slots=True)
class ClearDocument:
    id: UUID
    type: str
    number: str


@dataclass(frozen=True, slots=True)
class Unmasked:
    field: str
    value: str | None = None
    documents: tuple[ClearDocument, ...] = ()


def check_request(field: str, reason: str | None, allowed: type[StrEnum]) -> str:
    """The trimmed reason; ``FieldErrors`` for an unknown field or a missing/short reason."""
    problems = Problems()
    if field not in {f.value for f in allowed}:
        problems.error("field", UNKNOWN_FIELD)
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON:
        problems.error("reason", ENTER_REASON, {"min": MIN_REASON})
    elif len(text) > MAX_REASON:
        problems.error("reason", REASON_TOO_LONG, {"max": MAX_REASON})
    elif (invisible := text_rules.invisible_error(text)) is not None:
        problems.error("reason", invisible)
    problems.raise_if_any(True)
    return text


async def unmask_person(
    tenant_id: UUID, actor: audit.Actor, person_id: UUID, field: str, reason: str | None,
    *, document_id: UUID | None = None,
) -> Unmasked:  # fmt: skip
    """One field of one person of ``tenant_id`` (the caller's own district) in clear."""
    text = check_request(field, reason, PersonField)
    person = await repo.load_person(person_id, [tenant_id])
    conn = repo.conn()
    result: Unmasked
    if field == PersonField.NAME:
        result = Unmasked(field, value=person.name)
    elif field == PersonField.DOCUMENTS:
        found = [
            ClearDocument(doc_id, doc_type, number)
            for doc_id, doc_type, number in await docs.clear_documents(tenant_id, person_id)
            if document_id is None or doc_id == document_id
        ]
        if not found:
            raise NotFound(docs.NO_SUCH_DOCUMENT)
        result = Unmasked(field, documents=tuple(found))
    else:
        column = "mobile" if field == PersonField.MOBILE else "bank_account"
        stored = await conn.fetchval(
            f"SELECT {column}_enc FROM persons WHERE tenant_id = $1 AND id = $2", tenant_id, person_id
        )
        if stored is None:
            raise NotFound(NOTHING_STORED)
        result = Unmasked(field, value=unseal(PERSONS, column, tenant_id, person_id, stored))
    detail: dict[str, object] = {"field": field, "reason": text}
    if document_id is not None:
        detail["document_id"] = str(document_id)
    await audit.record(tenant_id, actor, "person.unmasked", object_type="person", object_id=person_id,
                       after=detail)  # fmt: skip
    return result


async def unmask_enterprise(
    tenant_id: UUID, actor: audit.Actor, enterprise_id: UUID, field: str, reason: str | None
) -> Unmasked:
    text = check_request(field, reason, EnterpriseField)
    enterprise = await repo.load_enterprise(enterprise_id, [tenant_id])
    if field == EnterpriseField.LEGAL_REPRESENTATIVE:
        value = enterprise.legal_representative
    else:
        stored = await repo.conn().fetchval(
            "SELECT bank_account_enc FROM enterprises WHERE tenant_id = $1 AND id = $2",
            tenant_id,
            enterprise_id,
        )
        if stored is None:
            raise NotFound(NOTHING_STORED)
        value = unseal(ENTERPRISES, "bank_account", tenant_id, enterprise_id, stored)
    await audit.record(tenant_id, actor, "enterprise.unmasked", object_type="enterprise",
                       object_id=enterprise_id, after={"field": field, "reason": text})  # fmt: skip
    return Unmasked(field, value=value)
