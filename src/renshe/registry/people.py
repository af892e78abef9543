"""人员登记 — registering, changing, finding and listing people.

Every function runs inside the caller's open tenant transaction and takes the district it writes
(``tenant_id``) and the audit ``actor``; each change writes its audit record (masked before and
after) in that same transaction. A registration is all-or-nothing inside a savepoint, so an
import that catches a duplicate and goes on leaves no half-registered person behind.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from renshe.api.pagination import bad_cursor, decode_cursor, encode_cursor
from renshe.audit import service as audit
from renshe.errors import NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.registry import documents as docs
from renshe.registry import repository as repo
from renshe.registry import validation as check
from renshe.registry.identifiers import DocumentType, Residency, Sex
from renshe.registry.identifiers.model import SHANGHAI, today_in_shanghai
from renshe.registry.masking import mask_bank_account, mask_mobile
from renshe.registry.model import (
    PERSON_CHANGEABLE,
    DocumentInput,
    Education,
    Listing,
    PeopleFilter,
    Person,
    PersonInput,
    Problems,
    StaleVersion,
    as_bank_input,
)
from renshe.registry.sealing import PERSONS, bank_account_index, mobile_index, seal
from renshe.registry.validation import CheckedBank

NOT_CHANGEABLE = lazy("This field cannot be changed here.")
LAST_DOCUMENT = lazy("A person keeps at least one identity document; add the new one first.")
OBJECT_TYPE = "person"


def snapshot(p: Person) -> dict[str, Any]:
    """What the audit log keeps of a person: masked values and codes only."""
    return {
        "name": p.masked_name,
        "residency": p.residency,
        "sex": p.sex,
        "education": p.education,
        "mobile": p.mobile_masked,
        "bank_account": p.bank.account_masked if p.bank else None,
        "bank_name": p.bank.bank_name if p.bank else None,
        "documents": [{"type": d.type, "number": d.number_masked} for d in p.documents],
        "version": p.version,
    }


def _bank_columns(
    tenant_id: UUID, row_id: UUID, bank: CheckedBank | None, default_name: str
) -> dict[str, Any]:
    if bank is None:
        return dict.fromkeys(
            ("bank_account_enc", "bank_account_index", "bank_account_masked", "bank_account_name",
             "bank_name", "bank_branch_code")
        )  # fmt: skip
    return {
        "bank_account_enc": seal(PERSONS, "bank_account", tenant_id, row_id, bank.digits),
        "bank_account_index": bank_account_index(bank.digits),
        "bank_account_masked": mask_bank_account(bank.digits),
        "bank_account_name": bank.account_name or default_name,
        "bank_name": bank.bank_name,
        "bank_branch_code": bank.branch_code,
    }


def _mobile_columns(tenant_id: UUID, row_id: UUID, mobile: str | None) -> dict[str, Any]:
    if mobile is None:
        return {"mobile_enc": None, "mobile_index": None, "mobile_masked": None}
    return {
        "mobile_enc": seal(PERSONS, "mobile", tenant_id, row_id, mobile),
        "mobile_index": mobile_index(mobile),
        "mobile_masked": mask_mobile(mobile),
    }


async def get_person(person_id: UUID, tenant_ids: Collection[UUID] | None = None) -> Person:
    """One person visible here; ``NotFound`` for a missing id and for another district's alike."""
    return await repo.load_person(person_id, tenant_ids)


async def register_person(
    tenant_id: UUID, actor: audit.Actor, data: PersonInput, *, today: date | None = None
) -> Person:
    """Validate and register a person with their documents.

    ``FieldErrors`` lists every bad field (and, unless ``confirm_warnings``, every warning such
    as a bank account failing the Luhn check); ``DuplicateRecord`` names this district's person
    already holding one of the documents.
    """
    problems = Problems()
    checked = check.check_person(data, problems, today)
    problems.raise_if_any(data.confirm_warnings)
    person_id = uuid.uuid4()
    columns: dict[str, Any] = {
        "tenant_id": tenant_id, "id": person_id, "name": checked.name, "sex": checked.sex,
        "birth_date": checked.birth_date, "residency": checked.residency,
        "education": checked.education, "graduated_on": checked.graduated_on,
        "school": checked.school, "address": checked.address, "notes": checked.notes,
        "created_by": actor.user_id,
        **_mobile_columns(tenant_id, person_id, checked.mobile),
        **_bank_columns(tenant_id, person_id, checked.bank, checked.name),
    }  # fmt: skip
    conn = repo.conn()
    names = ", ".join(columns)
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    async with conn.transaction():  # a savepoint: the person and all documents, or nothing
        with repo.mapped_errors():
            await conn.execute(f"INSERT INTO persons ({names}) VALUES ({values})", *columns.values())
            await docs.insert_documents(tenant_id, person_id, checked.documents)
        person = await repo.load_person(person_id, [tenant_id])
        await audit.record(tenant_id, actor, "person.registered", object_type=OBJECT_TYPE,
                           object_id=person_id, after=snapshot(person))  # fmt: skip
    return person


def _change_values(
    tenant_id: UUID, current: Person, changes: Mapping[str, Any], problems: Problems, today: date
) -> dict[str, Any]:
    """Column → new value for the changed fields (validated; errors into ``problems``)."""
    out: dict[str, Any] = {}
    for field in changes:
        if field not in PERSON_CHANGEABLE:
            problems.error(field, NOT_CHANGEABLE)
    if "name" in changes:
        out["name"] = check.check_name(changes["name"], problems)
    if "mobile" in changes:
        out.update(_mobile_columns(tenant_id, current.id, check.check_mobile(changes["mobile"], problems)))
    if "bank" in changes:
        bank = changes["bank"]
        checked = check.check_bank(as_bank_input(bank), problems)
        out.update(_bank_columns(tenant_id, current.id, checked, out.get("name", current.name)))
    if "education" in changes:
        out["education"] = check.check_choice(
            changes["education"], Education, "education", check.UNKNOWN_EDUCATION, problems
        )
    if "graduated_on" in changes:
        out["graduated_on"] = check.check_past_date(changes["graduated_on"], "graduated_on", problems, today)
    for text in ("school", "address", "notes"):
        if text in changes:
            out[text] = check.clean_text(changes[text], text, problems)
    return out


async def update_person(
    tenant_id: UUID,
    actor: audit.Actor,
    person_id: UUID,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    confirm_warnings: bool = False,
    today: date | None = None,
) -> Person:
    """Change some fields of a person (optimistic locking on ``version``: a stale edit is a
    ``StaleVersion`` conflict). Documents are added and removed with their own functions."""
    today = today or today_in_shanghai()
    current = await repo.load_person(person_id, [tenant_id], for_update=True)
    if current.version != expected_version:
        raise StaleVersion()
    if not changes:
        return current
    problems = Problems()
    values = _change_values(tenant_id, current, changes, problems, today)
    if {"sex", "birth_date", "residency"} & set(changes):
        residency = check.check_choice(changes.get("residency", current.residency), Residency,
                                       "residency", check.UNKNOWN_RESIDENCY, problems)  # fmt: skip
        sex = check.check_choice(changes.get("sex", current.sex), Sex, "sex", check.UNKNOWN_SEX, problems)
        birth = check.check_past_date(changes.get("birth_date", current.birth_date), "birth_date",
                                      problems, today)  # fmt: skip
        stored = await docs.validated_documents(tenant_id, person_id, today)
        residency, sex, birth = check.check_identity(residency, sex, birth, list(enumerate(stored)), problems)
        values.update(residency=residency, sex=sex, birth_date=birth)
    problems.raise_if_any(confirm_warnings)
    if values:
        sets = ", ".join(f"{col} = ${i + 4}" for i, col in enumerate(values))
        conn = repo.conn()
        with repo.mapped_errors():
            updated = await conn.fetchval(
                f"""UPDATE persons SET {sets}, version = version + 1, updated_at = now()
                    WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING version""",
                tenant_id, person_id, expected_version, *values.values(),
            )  # fmt: skip
        if updated is None:
            raise StaleVersion()
    after = await repo.load_person(person_id, [tenant_id])
    after_snapshot = snapshot(after) | {"changed": sorted(changes)}
    await audit.record(tenant_id, actor, "person.updated", object_type=OBJECT_TYPE, object_id=person_id,
                       before=snapshot(current), after=after_snapshot)  # fmt: skip
    return after


async def add_document(
    tenant_id: UUID,
    actor: audit.Actor,
    person_id: UUID,
    document: DocumentInput,
    *,
    expected_version: int | None = None,
    confirm_warnings: bool = False,
    today: date | None = None,
) -> Person:
    """Link one more document to a person (an HK resident's HKID beside their home-return
    permit). It must be valid, agree with the person, and not be anyone's in this district."""
    today = today or today_in_shanghai()
    current = await repo.load_person(person_id, [tenant_id], for_update=True)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion()
    problems = Problems()
    found = check.check_documents([document], problems, today)
    if found:
        new_doc = found[0][1]
        stored = await docs.validated_documents(tenant_id, person_id, today)
        everything = [*enumerate(stored), (len(stored), new_doc)]
        check.check_identity(current.residency, current.sex, current.birth_date, everything, problems)
    # the form and the API address the one new document as type / number
    renamed = {k.replace("documents[0].", ""): v for k, v in problems.errors.items()}
    problems.errors = {("number" if k.startswith("documents[") else k): v for k, v in renamed.items()}
    problems.params = {k.replace("documents[0].", ""): v for k, v in problems.params.items()}
    problems.warnings = {k.replace("documents[0].", ""): v for k, v in problems.warnings.items()}
    problems.raise_if_any(confirm_warnings)
    conn = repo.conn()
    async with conn.transaction():
        with repo.mapped_errors():
            await docs.insert_documents(tenant_id, person_id, [found[0][1]], len(current.documents))
        await repo.bump_version("persons", tenant_id, person_id, expected_version)
        after = await repo.load_person(person_id, [tenant_id])
        await audit.record(tenant_id, actor, "person.document_added", object_type=OBJECT_TYPE,
                           object_id=person_id, before=snapshot(current), after=snapshot(after))  # fmt: skip
    return after


async def remove_document(
    tenant_id: UUID, actor: audit.Actor, person_id: UUID, document_id: UUID,
    *, expected_version: int | None = None,
) -> Person:  # fmt: skip
    current = await repo.load_person(person_id, [tenant_id], for_update=True)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion()
    if len(current.documents) <= 1 and any(d.id == document_id for d in current.documents):
        raise ValidationFailed({"documents": LAST_DOCUMENT}, LAST_DOCUMENT)
    await docs.delete_document(tenant_id, person_id, document_id)
    await repo.bump_version("persons", tenant_id, person_id, expected_version)
    after = await repo.load_person(person_id, [tenant_id])
    await audit.record(tenant_id, actor, "person.document_removed", object_type=OBJECT_TYPE,
                       object_id=person_id, before=snapshot(current), after=snapshot(after))  # fmt: skip
    return after


async def find_by_document(doc_type: str, number: str, tenant_ids: Collection[UUID] | None = None) -> Person:
    """Exact look-up by one document (no prefix, no fuzzy match). Not registered here — or only
    in another district — is the same ``NotFound``."""
    doc = docs.parse_lookup(doc_type, number)
    holders = await docs.holders_of(doc, tenant_ids)
    if not holders:
        raise NotFound(docs.NOT_FOUND_BY_DOCUMENT)
    return await repo.load_person(holders[0], tenant_ids)


def day_start(day: date) -> datetime:
    """Midnight in Asia/Shanghai (the date a clerk means)."""
    return datetime.combine(day, time.min, SHANGHAI)


def like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def cursor_key(cursor: str | None) -> tuple[datetime, UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return datetime.fromisoformat(str(key[0])), UUID(str(key[1]))
    except (ValueError, IndexError):
        raise bad_cursor() from None


def check_filter(filters: PeopleFilter) -> None:
    problems = Problems()
    if filters.residency:
        check.check_choice(filters.residency, Residency, "residency", check.UNKNOWN_RESIDENCY, problems)
    if filters.document_type:
        try:
            DocumentType(filters.document_type)
        except ValueError:
            problems.error("document_type", lazy("Unknown document type."))
    problems.raise_if_any(True)


async def list_people(
    tenant_ids: Collection[UUID], filters: PeopleFilter, cursor: str | None, limit: int
) -> Listing[Person]:
    """Newest first, keyset-paged on (created_at, id), within ``tenant_ids`` and what RLS allows."""
    check_filter(filters)
    after = cursor_key(cursor)
    prefix = (filters.name_prefix or "").strip()
    rows = await repo.person_rows(
        """p.tenant_id = ANY($1::uuid[])
           AND ($2::text IS NULL OR p.residency = $2)
           AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM person_documents d WHERE d.tenant_id = p.tenant_id
                                            AND d.person_id = p.id AND d.doc_type = $3))
           AND ($4::text IS NULL OR p.name LIKE $4)
           AND ($5::timestamptz IS NULL OR p.created_at >= $5)
           AND ($6::timestamptz IS NULL OR p.created_at < $6)
           AND ($7::timestamptz IS NULL OR (p.created_at, p.id) < ($7, $8::uuid))
           ORDER BY p.created_at DESC, p.id DESC LIMIT $9""",
        list(tenant_ids), filters.residency or None, filters.document_type or None,
        like_prefix(prefix) if prefix else None,
        day_start(filters.created_from) if filters.created_from else None,
        day_start(filters.created_to + timedelta(days=1)) if filters.created_to else None,
        after[0] if after else None, after[1] if after else None, limit + 1,
    )  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    documents = await repo.documents_of([r["id"] for r in rows])
    items = [repo.person_from(r, documents.get(r["id"], [])) for r in rows]
    next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return Listing(items, next_cursor)


__all__ = [
    "add_document",
    "find_by_document",
    "get_person",
    "list_people",
    "register_person",
    "remove_document",
    "snapshot",
    "update_person",
]
