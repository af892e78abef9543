"""Hong Kong and Macao youth API (``/api/v1/hkmo``): the youth register.

Thin: parse, call :mod:`renshe.hkmo.youth`, shape the answer. District roles only (city roles see
the targets and rollups, never a youth): another district's youth answers 404 exactly like a
missing one. Names are masked; after a withdrawal of consent every personal field is withheld.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.api.openapi import rule
from renshe.api.pagination import Limit, bad_cursor, clamp_limit, decode_cursor, encode_cursor
from renshe.hkmo import youth
from renshe.registry.api import caller

Req = Request[Any, Any, Any]
READ = requires_roles(*youth.READERS)
CLERK = requires_roles(Role.CLERK)
TAGS = ["hong kong and macao youth"]
Status = Annotated[str, rule(enum=list(youth.STATUSES))]
Channel = Annotated[str, rule(enum=list(youth.REACHED_VIA))]
Text200 = Annotated[str, rule(max_length=200)]


class YouthIn(msgspec.Struct):
    person_id: UUID
    status: Status
    reached_via: Channel
    consent: bool
    school: Text200 | None = None
    graduated_on: date | None = None
    enterprise_id: UUID | None = None
    incubation_base: Text200 | None = None


class YouthChangeIn(msgspec.Struct):
    version: int
    status: Status | None = None
    enterprise_id: UUID | None = None
    withdraw_consent: bool = False
    comment: Annotated[str, rule(max_length=500)] | None = None


class YouthEventOut(msgspec.Struct):
    kind: str  # registered | status | consent_withdrawn
    from_status: str | None
    to_status: str | None
    comment: str | None
    at: datetime


class YouthOut(msgspec.Struct):
    id: UUID
    person_id: UUID
    name: str  # masked (张*明); *** after the youth withdrew consent
    status: str
    reached_via: str
    school: str | None
    graduated_on: date | None
    enterprise_id: UUID | None
    enterprise_name: str | None  # the employer or the youth's own enterprise, from the registry
    incubation_base: str | None
    registered_on: date
    age_at_registration: int
    consent: bool
    consent_given_at: datetime
    consent_withdrawn_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    history: list[YouthEventOut] | None = None
    # one youth only: the sums of their grants' ledgers (awarded, paid, clawback outstanding…), in fen
    balance: dict[str, int] | None = None


class YouthList(msgspec.Struct):
    items: list[YouthOut]
    next_cursor: str | None = None


def youth_out(row: dict[str, Any]) -> YouthOut:
    history = row.get("history")
    return YouthOut(
        **{f: row[f] for f in YouthOut.__struct_fields__ if f not in ("history", "balance")},
        balance=row.get("balance"),
        history=None if history is None else [
            YouthEventOut(e["kind"], e["from_status"], e["to_status"], e["comment"], e["at"]) for e in history
        ],
    )  # fmt: skip


@post("/api/v1/hkmo/youth", name="api.hkmo.youth.create", guards=[CLERK], tags=TAGS, status_code=201,
      opt={"problems": (409,)})  # fmt: skip
async def register_youth(request: Req, data: JSONBody[YouthIn]) -> YouthOut:
    """Register a youth of the district's registry (港澳青年登记). 422 names the field: no Hong Kong
    or Macao document, over 45, no consent; 409 when already registered here or in another
    district (yes or no only)."""
    registration = youth.Registration(
        person_id=data.person_id, status=data.status, reached_via=data.reached_via, consent=data.consent,
        school=data.school, graduated_on=data.graduated_on, enterprise_id=data.enterprise_id,
        incubation_base=data.incubation_base,
    )  # fmt: skip
    row = await youth.register(caller(request), registration)
    return youth_out(await youth.get(caller(request), row["id"]))


def _after(cursor: str | None) -> tuple[date, UUID] | None:
    key = decode_cursor(cursor)
    if key is None:
        return None
    try:
        return date.fromisoformat(key[0]), UUID(key[1])
    except (ValueError, IndexError, TypeError):
        raise bad_cursor() from None


@get("/api/v1/hkmo/youth", name="api.hkmo.youth.list", guards=[READ], tags=TAGS)
async def list_youth(
    request: Req, status: FromQuery[Status | None] = None, cursor: FromQuery[str | None] = None,
    limit: Limit = None,
) -> YouthList:  # fmt: skip
    """The district's youth, newest registration first; ``next_cursor`` fetches the next page."""
    size = clamp_limit(limit)
    rows = await youth.listed(caller(request), status=status, limit=size + 1, after=_after(cursor))
    more, rows = len(rows) > size, rows[:size]
    last = rows[-1] if more else None
    next_cursor = encode_cursor([last["registered_on"].isoformat(), str(last["id"])]) if last else None
    return YouthList([youth_out(r) for r in rows], next_cursor=next_cursor)


@get("/api/v1/hkmo/youth/{youth_id:uuid}", name="api.hkmo.youth.get", guards=[READ], tags=TAGS)
async def get_youth(request: Req, youth_id: FromPath[UUID]) -> YouthOut:
    """One youth with the history of their status and consent, and the balance of their grants
    (summed from the grants' ledgers: awarded, released, paid, clawback owed and outstanding)."""
    return youth_out(await youth.get(caller(request), youth_id))


@patch("/api/v1/hkmo/youth/{youth_id:uuid}", name="api.hkmo.youth.change", guards=[CLERK], tags=TAGS,
       opt={"problems": (409, 422)})  # fmt: skip
async def change_youth(request: Req, youth_id: FromPath[UUID], data: JSONBody[YouthChangeIn]) -> YouthOut:
    """A new status, employer or own enterprise, or the youth's withdrawal of consent (for good:
    their personal fields are withheld from then on). 409 when ``version`` is stale."""
    row = await youth.change(
        caller(request), youth_id, data.version, status=data.status, enterprise_id=data.enterprise_id,
        comment=data.comment, withdraw_consent=data.withdraw_consent,
    )  # fmt: skip
    return youth_out(row)


ROUTES = [register_youth, list_youth, get_youth, change_youth]
