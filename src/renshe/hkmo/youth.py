"""The Hong Kong and Macao youth register (港澳青年名册).

A clerk registers a person of the district's registry who holds a Hong Kong or Macao document
(HKID, Macao ID, home-return permit, or an 810000 / 820000 residence permit), is 45 or under on the
day of registration and consents to the use of their data. A person registered in another district
is refused with the city-wide yes/no of the registry (a receipt of ``hkmo_youth`` keyed by the
blind index of each document, :mod:`renshe.registry.citywide`), never with that district's data.

Each call is one tenant transaction with its audit record and history event; changes check the
``version`` the caller read (409 when stale). A withdrawn consent masks the youth's personal
fields in every answer from then on (:func:`view`) and is never given back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.errors import Conflict, Forbidden, NotFound, ValidationFailed
from renshe.hkmo import ledger
from renshe.i18n import gettext, lazy
from renshe.registry import citywide
from renshe.registry import repository as registry
from renshe.registry.identifiers import DocumentType
from renshe.registry.listing import Page
from renshe.registry.masking import mask_name
from renshe.registry.model import Person
from renshe.registry.service import Caller

READERS = frozenset({Role.CLERK, Role.REVIEWER, Role.DISTRICT_ADMIN})  # city roles: aggregates only
STATUSES = ("studying", "employed", "self_employed", "founder", "left")
REACHED_VIA = ("job_fair", "campus_event", "competition", "referral", "walk_in", "online", "other")
HKMO_DOCUMENTS = frozenset(
    {
        DocumentType.HKID,
        DocumentType.MACAU_ID,
        DocumentType.HOME_RETURN_PERMIT,
        DocumentType.HKMO_RESIDENCE_PERMIT,
    }
)
MAX_AGE = 45
CITYWIDE_CODE = "hkmo_youth"  # the receipt that answers "registered anywhere in the city?"
OBJECT = "hkmo_youth"
WITHHELD = "***"  # a personal field after the youth withdrew consent
EXPORT_LIMIT = 100_000
# a list's rows with the names their view shows, in one statement (not a query per youth)
LISTED = """SELECT y.*, p.name AS person_name, e.name AS enterprise_name
  FROM hkmo_youth y JOIN persons p ON p.tenant_id = y.tenant_id AND p.id = y.person_id
  LEFT JOIN enterprises e ON e.tenant_id = y.tenant_id AND e.id = y.enterprise_id"""

NO_PERSON = lazy("No such person in this district's registry.")
NO_ENTERPRISE = lazy("No such enterprise in this district's registry.")
NO_HKMO_DOCUMENT = lazy(
    "Only a person with a Hong Kong or Macao document (HKID, Macao ID, home-return permit or "
    "Hong Kong/Macao residence permit) can be registered."
)
NO_BIRTH_DATE = lazy("The person's date of birth is not in the registry: record it first.")
TOO_OLD = lazy("Only youth aged 45 or under can be registered (this person is %(age)s).")
NO_CONSENT = lazy("The youth must consent to the use of their data before they are registered.")
UNKNOWN_STATUS = lazy("Choose one of: studying, employed, self-employed, founder, left.")
UNKNOWN_CHANNEL = lazy(
    "Choose how the youth was reached: job fair, campus event, competition, referral, walk-in, "
    "online or other."
)
ALREADY_HERE = lazy("This person is already registered as a Hong Kong or Macao youth in this district.")
ALREADY_ELSEWHERE = lazy(
    "This person is already registered as a Hong Kong or Macao youth in another district."
)
STALE = lazy("Someone changed this record meanwhile: reload it and try again.")
GRADUATED_LATER = lazy("The graduation date cannot be after today.")
TOO_LONG = lazy("At most %(limit)s characters.")
CONSENT_GONE = lazy("The youth withdrew their consent: the record can no longer be changed.")


@dataclass(frozen=True, slots=True)
class Registration:
    """What a clerk enters to register a youth."""

    person_id: UUID
    status: str
    reached_via: str
    consent: bool
    school: str | None = None
    graduated_on: date | None = None
    enterprise_id: UUID | None = None
    incubation_base: str | None = None


def district_of(caller: Caller, *roles: Role) -> UUID:
    """The caller's district, if they hold one of ``roles`` there (403 otherwise)."""
    p = caller.principal
    if not (p.is_district and p.has(*roles)):
        raise Forbidden()
    return p.org_unit.id


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


def _text(value: str | None, field: str, errors: dict[str, str], limit: int = 200) -> str | None:
    """Free text as stored: trimmed, at most ``limit`` characters, no invisible characters."""
    if value is None:
        return None
    problem = text_rules.invisible_error(value)
    cleaned = value.strip()
    if problem is None and len(cleaned) > limit:
        problem = gettext(TOO_LONG) % {"limit": limit}
    if problem is not None:
        errors[field] = problem
        return None
    return cleaned or None


async def _checked(tenant_id: UUID, r: Registration, on: date) -> tuple[Person, int, dict[str, Any]]:
    """The person, their age and the cleaned fields; 422 naming every field that is wrong."""
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {
        "school": _text(r.school, "school", errors),
        "incubation_base": _text(r.incubation_base, "incubation_base", errors),
    }
    if r.status not in STATUSES:
        errors["status"] = UNKNOWN_STATUS
    if r.reached_via not in REACHED_VIA:
        errors["reached_via"] = UNKNOWN_CHANNEL
    if not r.consent:
        errors["consent"] = NO_CONSENT
    if r.graduated_on is not None and r.graduated_on > on:
        errors["graduated_on"] = GRADUATED_LATER
    if r.enterprise_id is not None:
        try:
            await registry.load_enterprise(r.enterprise_id, [tenant_id])
        except NotFound:
            errors["enterprise_id"] = NO_ENTERPRISE
    try:
        person = await registry.load_person(r.person_id, [tenant_id])
    except NotFound:
        raise ValidationFailed({**errors, "person_id": NO_PERSON}) from None
    age = 0
    if not any(d.type in HKMO_DOCUMENTS for d in person.documents):
        errors["person_id"] = NO_HKMO_DOCUMENT
    elif person.birth_date is None:
        errors["person_id"] = NO_BIRTH_DATE
    else:
        age = age_on(person.birth_date, on)
        if age > MAX_AGE:
            errors["person_id"] = gettext(TOO_OLD) % {"age": age}
    if errors:
        raise ValidationFailed(errors)
    return person, age, fields


async def register(caller: Caller, r: Registration) -> dict[str, Any]:
    """Register a youth (201); 422 naming the field, 409 when already registered anywhere."""
    tenant_id = district_of(caller, Role.CLERK)
    on = clock.today()
    async with tenant_transaction(caller.context()):
        person, age, fields = await _checked(tenant_id, r, on)
        # two districts registering the same documents at once judge one after the other
        await citywide.serialise(tenant_id, person.id)
        here = await _conn().fetchval(
            "SELECT id FROM hkmo_youth WHERE tenant_id = $1 AND person_id = $2", tenant_id, person.id
        )
        if here is not None:
            raise Conflict(ALREADY_HERE)
        if await citywide.has_received_program_elsewhere(tenant_id, person.id, CITYWIDE_CODE):
            raise Conflict(ALREADY_ELSEWHERE)
        row = dict(
            await _conn().fetchrow(
                """INSERT INTO hkmo_youth (tenant_id, person_id, school, graduated_on, status, enterprise_id,
                                           incubation_base, reached_via, registered_on, age_at_registration,
                                           consent_given_at, created_by, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()), $12,
                           coalesce($11, now()), coalesce($11, now()))
                   RETURNING *""",
                tenant_id, person.id, fields["school"], r.graduated_on, r.status, r.enterprise_id,
                fields["incubation_base"], r.reached_via, on, age, clock.record_time(), caller.actor.user_id,
            )
        )  # fmt: skip
        await citywide.record_program_receipt(
            tenant_id, person.id, CITYWIDE_CODE, f"hkmo_youth:{row['id']}", on
        )
        await _event(tenant_id, caller, row["id"], Step("registered", None, r.status))
        await audit.record(
            tenant_id, caller.actor, "hkmo_youth.registered", object_type=OBJECT, object_id=row["id"],
            after={"person_id": str(person.id), "status": r.status, "reached_via": r.reached_via,
                   "age_at_registration": age},
        )  # fmt: skip
        return await view(tenant_id, row)


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a youth's history."""

    kind: str  # registered | status | consent_withdrawn
    before: str | None = None
    after: str | None = None
    comment: str | None = None


async def _event(tenant_id: UUID, caller: Caller, youth_id: UUID, step: Step) -> None:
    await _conn().execute(
        """INSERT INTO hkmo_youth_events (tenant_id, youth_id, kind, from_status, to_status, comment,
                                          actor_user_id, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, clock_timestamp()))""",
        tenant_id, youth_id, step.kind, step.before, step.after, step.comment, caller.actor.user_id,
        clock.record_time(),
    )  # fmt: skip


async def _row(tenant_id: UUID, youth_id: UUID, *, lock: bool = False) -> dict[str, Any]:
    row = await _conn().fetchrow(
        "SELECT * FROM hkmo_youth WHERE tenant_id = $1 AND id = $2" + (" FOR UPDATE" if lock else ""),
        tenant_id, youth_id,
    )  # fmt: skip
    if row is None:
        raise NotFound()
    return dict(row)


async def view(tenant_id: UUID, row: dict[str, Any], *, history: bool = False) -> dict[str, Any]:
    """The record as answered: the person's name masked, and every personal field withheld once
    the youth withdrew consent."""
    name = row.get("person_name")
    if name is None:
        name = (await registry.load_person(row["person_id"], [tenant_id])).name
    withdrawn = row["consent_withdrawn_at"] is not None
    out = {
        **{k: row[k] for k in ("id", "person_id", "status", "reached_via", "registered_on",
                               "age_at_registration", "consent_given_at", "consent_withdrawn_at",
                               "version", "created_at", "updated_at")},
        "name": WITHHELD if withdrawn else mask_name(name),
        "school": WITHHELD if withdrawn and row["school"] else row["school"],
        "graduated_on": None if withdrawn else row["graduated_on"],
        "enterprise_id": row["enterprise_id"],
        "enterprise_name": row["enterprise_name"] if "enterprise_name" in row
        else await _enterprise_name(tenant_id, row["enterprise_id"]),
        "incubation_base": row["incubation_base"],
        "consent": not withdrawn,
    }  # fmt: skip
    if history:
        out["history"] = [
            dict(r)
            for r in await _conn().fetch(
                """SELECT kind, from_status, to_status, comment, actor_user_id, at FROM hkmo_youth_events
                   WHERE tenant_id = $1 AND youth_id = $2 ORDER BY at, id""",
                tenant_id, row["id"],
            )
        ]  # fmt: skip
    return out


async def _enterprise_name(tenant_id: UUID, enterprise_id: UUID | None) -> str | None:
    if enterprise_id is None:
        return None
    return (await registry.load_enterprise(enterprise_id, [tenant_id])).name


async def get(caller: Caller, youth_id: UUID) -> dict[str, Any]:
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        out = await view(tenant_id, await _row(tenant_id, youth_id), history=True)
        # what the youth was awarded, was paid and owes, over every grant: summed from the ledger
        out["balance"] = (await ledger.of_youth(tenant_id, youth_id)).to_json()
        return out


async def listed(
    caller: Caller, *, status: str | None = None, limit: int = 50, after: tuple[date, UUID] | None = None
) -> list[dict[str, Any]]:
    """The district's youth, newest registration first (then by id, descending), after the
    ``(registered_on, id)`` of the last one a previous call returned (the API's cursor)."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        rows = await _conn().fetch(
            LISTED
            + """ WHERE y.tenant_id = $1 AND ($2::text IS NULL OR y.status = $2)
                 AND ($3::date IS NULL OR (y.registered_on, y.id) < ($3, $4))
               ORDER BY y.registered_on DESC, y.id DESC LIMIT $5""",
            tenant_id, status if status in STATUSES else None, after[0] if after else None,
            after[1] if after else None, limit,
        )  # fmt: skip
        return [await view(tenant_id, dict(r)) for r in rows]


async def page_of(caller: Caller, *, status: str | None = None, number: int = 1, size: int = 50) -> Page[Any]:
    """One page of the district's youth, newest registration first, and how many there are."""
    tenant_id = district_of(caller, *READERS)
    if status is not None and status not in STATUSES:
        status = None
    async with tenant_transaction(caller.context()):
        total = await _conn().fetchval(
            "SELECT count(*) FROM hkmo_youth WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2)",
            tenant_id, status,
        )  # fmt: skip
        rows = await _conn().fetch(
            LISTED
            + """ WHERE y.tenant_id = $1 AND ($2::text IS NULL OR y.status = $2)
               ORDER BY y.registered_on DESC, y.id DESC LIMIT $3 OFFSET $4""",
            tenant_id, status, size, (number - 1) * size,
        )  # fmt: skip
        return Page([await view(tenant_id, dict(r)) for r in rows], total, number, size)


async def record_export(caller: Caller, rows: int, file_format: str, status: str | None) -> None:
    """Every export of the list leaves an audit record: how many rows, which filter, which format."""
    tenant_id = district_of(caller, *READERS)
    async with tenant_transaction(caller.context()):
        await audit.record(
            tenant_id, caller.actor, "hkmo_youth_list.exported", object_type="hkmo_youth_list",
            after={"rows": rows, "format": file_format, "status": status},
        )  # fmt: skip


async def change(
    caller: Caller, youth_id: UUID, version: int, *, status: str | None = None,
    enterprise_id: UUID | None = None, comment: str | None = None, withdraw_consent: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """A new status (with the history event), the employer or own enterprise, or the youth's
    withdrawal of consent; 409 when ``version`` is stale."""
    tenant_id = district_of(caller, Role.CLERK)
    errors: dict[str, str] = {}
    said = _text(comment, "comment", errors, limit=500)
    if status is not None and status not in STATUSES:
        errors["status"] = UNKNOWN_STATUS
    async with tenant_transaction(caller.context()):
        if enterprise_id is not None:
            try:
                await registry.load_enterprise(enterprise_id, [tenant_id])
            except NotFound:
                errors["enterprise_id"] = NO_ENTERPRISE
        if errors:
            raise ValidationFailed(errors)
        row = await _row(tenant_id, youth_id, lock=True)
        if row["version"] != version:
            raise Conflict(STALE)
        if row["consent_withdrawn_at"] is not None:
            raise Conflict(CONSENT_GONE)
        new_status: str = status or row["status"]
        new_enterprise: UUID | None = enterprise_id or row["enterprise_id"]
        withdrawn_at = clock.now() if withdraw_consent else None
        updated = dict(
            await _conn().fetchrow(
                """UPDATE hkmo_youth SET status = $3, enterprise_id = $4, consent_withdrawn_at = $5,
                                         version = version + 1, updated_at = coalesce($6, now())
                   WHERE tenant_id = $1 AND id = $2 RETURNING *""",
                tenant_id, youth_id, new_status, new_enterprise, withdrawn_at, clock.record_time(),
            )
        )  # fmt: skip
        if new_status != row["status"]:
            await _event(tenant_id, caller, youth_id, Step("status", row["status"], new_status, said))
        if withdraw_consent:
            await _event(tenant_id, caller, youth_id, Step("consent_withdrawn", comment=said))
        await audit.record(
            tenant_id, caller.actor,
            "hkmo_youth.consent_withdrawn" if withdraw_consent else "hkmo_youth.changed",
            object_type=OBJECT, object_id=youth_id,
            before={"status": row["status"], "enterprise_id": _text_of(row["enterprise_id"])},
            after={"status": new_status, "enterprise_id": _text_of(new_enterprise),
                   "consent_withdrawn": withdraw_consent},
        )  # fmt: skip
        return await view(tenant_id, updated, history=True)


def _text_of(value: UUID | datetime | None) -> str | None:
    return None if value is None else str(value)
