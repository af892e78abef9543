"""企业登记 — registering, changing, finding and listing enterprises.

The unified social credit code is unique per district (constraint ``enterprises_unique_uscc``);
it is public registration data, so it is stored and shown in clear. The basic deposit account is
sealed like a person's account. Runs inside the caller's tenant transaction, audited.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from renshe import text_rules
from renshe.api.pagination import encode_cursor
from renshe.audit import service as audit
from renshe.errors import NotFound
from renshe.i18n import lazy
from renshe.registry import identifiers as ids
from renshe.registry import repository as repo
from renshe.registry import validation as check
from renshe.registry.identifiers.model import today_in_shanghai
from renshe.registry.masking import mask_bank_account, mask_name
from renshe.registry.model import (
    ENTERPRISE_CHANGEABLE,
    BankInput,
    DuplicateRecord,
    Enterprise,
    EnterpriseFilter,
    EnterpriseInput,
    Listing,
    Problems,
    StaleVersion,
    as_bank_input,
)
from renshe.registry.people import NOT_CHANGEABLE, cursor_key, day_start, like_prefix
from renshe.registry.sealing import ENTERPRISES, bank_account_index, seal
from renshe.registry.validation import CheckedBank

ENTER_ENTERPRISE_NAME = lazy("Enter the enterprise name.")
ENTER_LEGAL_REPRESENTATIVE = lazy("Enter the legal representative.")
DISTRICT_CODE_FORMAT = lazy("A district code has 6 digits.")
USCC_REGISTERED = lazy(
    "An enterprise with this credit code is already registered in this district. Open the existing record."
)
OBJECT_TYPE = "enterprise"
_DISTRICT = re.compile(r"^\d{6}$")


def snapshot(e: Enterprise) -> dict[str, Any]:
    """What the audit log keeps of an enterprise (its bank account masked)."""
    return {
        "name": e.name,
        "uscc": e.uscc,
        "legal_representative": mask_name(e.legal_representative),
        "registered_on": e.registered_on,
        "registered_district": e.registered_district,
        "bank_account": e.bank.account_masked if e.bank else None,
        "bank_name": e.bank.bank_name if e.bank else None,
        "version": e.version,
    }


def _enterprise_name(value: str | None, problems: Problems) -> str:
    name = " ".join((value or "").split())
    if not name:
        problems.error("name", ENTER_ENTERPRISE_NAME)
    elif len(name) > 200:
        problems.error("name", check.TOO_LONG, {"max": 200})
    elif (invisible := text_rules.invisible_error(name)) is not None:
        problems.error("name", invisible)
    return name


def _representative(value: str | None, problems: Problems) -> str:
    if not (value or "").strip():
        problems.error("legal_representative", ENTER_LEGAL_REPRESENTATIVE)
        return ""
    return check.check_name(value, problems, "legal_representative")


def _district(value: str | None, problems: Problems) -> str | None:
    code = (value or "").strip() or None
    if code is not None and _DISTRICT.fullmatch(code) is None:
        problems.error("registered_district", DISTRICT_CODE_FORMAT)
    return code


def _bank_columns(
    tenant_id: UUID, row_id: UUID, bank: CheckedBank | None, default_name: str
) -> dict[str, Any]:
    if bank is None:
        return dict.fromkeys(
            ("bank_account_enc", "bank_account_index", "bank_account_masked", "bank_account_name",
             "bank_name", "bank_branch_code")
        )  # fmt: skip
    return {
        "bank_account_enc": seal(ENTERPRISES, "bank_account", tenant_id, row_id, bank.digits),
        "bank_account_index": bank_account_index(bank.digits),
        "bank_account_masked": mask_bank_account(bank.digits),
        # an enterprise's account name is the enterprise's own (public) name
        "bank_account_name": bank.account_name or default_name,
        "bank_name": bank.bank_name,
        "bank_branch_code": bank.branch_code,
    }


def _account_name_check(bank: BankInput | None, problems: Problems) -> CheckedBank | None:
    """Enterprise account names are company names (digits and brackets allowed)."""
    if bank is None:
        return None
    plain = BankInput(bank.account_number, None, bank.bank_name, bank.branch_code)
    checked = check.check_bank(plain, problems)
    if checked is None:
        return None
    name = check.clean_text(bank.account_name, "bank.account_name", problems)
    return CheckedBank(checked.digits, name, checked.bank_name, checked.branch_code)


async def get_enterprise(enterprise_id: UUID, tenant_ids: Collection[UUID] | None = None) -> Enterprise:
    return await repo.load_enterprise(enterprise_id, tenant_ids)


async def _holder_of_uscc(tenant_id: UUID, uscc: str) -> UUID | None:
    found: UUID | None = await repo.conn().fetchval(
        "SELECT id FROM enterprises WHERE tenant_id = $1 AND uscc = $2", tenant_id, uscc
    )
    return found


async def register_enterprise(
    tenant_id: UUID, actor: audit.Actor, data: EnterpriseInput, *, today: date | None = None
) -> Enterprise:
    """Validate and register an enterprise; ``DuplicateRecord`` when this district has the code."""
    today = today or today_in_shanghai()
    problems = Problems()
    name = _enterprise_name(data.name, problems)
    code: ids.ValidatedUscc | None = None
    try:
        code = ids.validate_uscc(data.uscc or "")
        for warning in code.warnings:
            problems.warn("uscc", warning)
    except ids.IdentifierInvalid as exc:
        problems.error("uscc", exc.message)
    representative = _representative(data.legal_representative, problems)
    registered_on = check.check_past_date(data.registered_on, "registered_on", problems, today)
    district = _district(data.registered_district, problems) or (code.address_code if code else None)
    bank = _account_name_check(data.bank, problems)
    address = check.clean_text(data.address, "address", problems)
    notes = check.clean_text(data.notes, "notes", problems)
    problems.raise_if_any(data.confirm_warnings)
    assert code is not None
    enterprise_id = uuid.uuid4()
    columns: dict[str, Any] = {
        "tenant_id": tenant_id, "id": enterprise_id, "name": name, "uscc": code.code,
        "legal_representative": representative, "registered_on": registered_on,
        "registered_district": district, "address": address, "notes": notes,
        "created_by": actor.user_id, **_bank_columns(tenant_id, enterprise_id, bank, name),
    }  # fmt: skip
    conn = repo.conn()
    names = ", ".join(columns)
    values = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    async with conn.transaction():
        with repo.mapped_errors():
            inserted = await conn.fetchval(
                f"""INSERT INTO enterprises ({names}) VALUES ({values})
                    ON CONFLICT ON CONSTRAINT enterprises_unique_uscc DO NOTHING RETURNING id""",
                *columns.values(),
            )
        if inserted is None:
            holder = await _holder_of_uscc(tenant_id, code.code)
            raise DuplicateRecord(holder or enterprise_id, USCC_REGISTERED)
        enterprise = await repo.load_enterprise(enterprise_id, [tenant_id])
        await audit.record(tenant_id, actor, "enterprise.registered", object_type=OBJECT_TYPE,
                           object_id=enterprise_id, after=snapshot(enterprise))  # fmt: skip
    return enterprise


async def update_enterprise(
    tenant_id: UUID,
    actor: audit.Actor,
    enterprise_id: UUID,
    changes: Mapping[str, Any],
    expected_version: int,
    *,
    confirm_warnings: bool = False,
    today: date | None = None,
) -> Enterprise:
    """Change some fields (the credit code identifies the enterprise and is not changed)."""
    today = today or today_in_shanghai()
    current = await repo.load_enterprise(enterprise_id, [tenant_id], for_update=True)
    if current.version != expected_version:
        raise StaleVersion()
    if not changes:
        return current
    problems = Problems()
    values: dict[str, Any] = {}
    for field in changes:
        if field not in ENTERPRISE_CHANGEABLE:
            problems.error(field, NOT_CHANGEABLE)
    if "name" in changes:
        values["name"] = _enterprise_name(changes["name"], problems)
    if "legal_representative" in changes:
        values["legal_representative"] = _representative(changes["legal_representative"], problems)
    if "registered_on" in changes:
        values["registered_on"] = check.check_past_date(changes["registered_on"], "registered_on",
                                                        problems, today)  # fmt: skip
    if "registered_district" in changes:
        values["registered_district"] = _district(changes["registered_district"], problems)
    if "bank" in changes:
        bank = changes["bank"]
        checked = _account_name_check(as_bank_input(bank), problems)
        values.update(_bank_columns(tenant_id, enterprise_id, checked, values.get("name", current.name)))
    for text in ("address", "notes"):
        if text in changes:
            values[text] = check.clean_text(changes[text], text, problems)
    problems.raise_if_any(confirm_warnings)
    if values:
        sets = ", ".join(f"{col} = ${i + 4}" for i, col in enumerate(values))
        with repo.mapped_errors():
            updated = await repo.conn().fetchval(
                f"""UPDATE enterprises SET {sets}, version = version + 1, updated_at = now()
                    WHERE tenant_id = $1 AND id = $2 AND version = $3 RETURNING version""",
                tenant_id, enterprise_id, expected_version, *values.values(),
            )  # fmt: skip
        if updated is None:
            raise StaleVersion()
    after = await repo.load_enterprise(enterprise_id, [tenant_id])
    await audit.record(tenant_id, actor, "enterprise.updated", object_type=OBJECT_TYPE,
                       object_id=enterprise_id, before=snapshot(current),
                       after=snapshot(after) | {"changed": sorted(changes)})  # fmt: skip
    return after


async def find_by_uscc(uscc: str, tenant_ids: Collection[UUID] | None = None) -> Enterprise:
    problems = Problems()
    try:
        code = ids.validate_uscc(uscc or "").code
    except ids.IdentifierInvalid as exc:
        problems.error("uscc", exc.message)
        problems.raise_if_any(True)
        raise
    found = await repo.conn().fetchval(
        """SELECT id FROM enterprises WHERE uscc = $1
           AND ($2::uuid[] IS NULL OR tenant_id = ANY($2::uuid[])) ORDER BY created_at LIMIT 1""",
        code,
        None if tenant_ids is None else list(tenant_ids),
    )
    if found is None:
        raise NotFound(repo.ENTERPRISE_NOT_FOUND)
    return await repo.load_enterprise(found, tenant_ids)


async def list_enterprises(
    tenant_ids: Collection[UUID], filters: EnterpriseFilter, cursor: str | None, limit: int
) -> Listing[Enterprise]:
    after = cursor_key(cursor)
    prefix = (filters.name_prefix or "").strip()
    rows = await repo.conn().fetch(
        f"""SELECT {repo.ENTERPRISE_COLUMNS} FROM enterprises e JOIN org_units o ON o.id = e.tenant_id
            WHERE e.tenant_id = ANY($1::uuid[])
              AND ($2::text IS NULL OR e.name LIKE $2)
              AND ($3::timestamptz IS NULL OR e.created_at >= $3)
              AND ($4::timestamptz IS NULL OR e.created_at < $4)
              AND ($5::timestamptz IS NULL OR (e.created_at, e.id) < ($5, $6::uuid))
            ORDER BY e.created_at DESC, e.id DESC LIMIT $7""",
        list(tenant_ids), like_prefix(prefix) if prefix else None,
        day_start(filters.created_from) if filters.created_from else None,
        day_start(filters.created_to + timedelta(days=1)) if filters.created_to else None,
        after[0] if after else None, after[1] if after else None, limit + 1,
    )  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    items = [repo.enterprise_from(r) for r in rows]
    next_cursor = encode_cursor([rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]) if more else None
    return Listing(items, next_cursor)
