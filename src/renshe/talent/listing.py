"""Lists of talent-card applications and cards for the pages (人才卡申请列表, 人才卡列表, 审核队列):
filtered, numbered pages with the person's name masked and the employer's name. Read-only queries
that run inside the caller's open tenant transaction, always for one district.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from renshe.db.tenant import current_transaction
from renshe.registry.masking import mask_name
from renshe.talent.application_store import as_json

PAGE_SIZE = 50
EXPORT_LIMIT = 20_000  # a district's year of applications fits; beyond, narrow the filter
EXPIRING_DAYS = 30  # the dashboard's "cards expiring within 30 days"


@dataclass(slots=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    page: int
    size: int = PAGE_SIZE
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        self.pages = max(1, -(-self.total // self.size))


@dataclass(frozen=True, slots=True)
class ApplicationFilter:
    state: str | None = None
    person_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class CardFilter:
    state: str | None = None
    person_id: UUID | None = None
    expiring_by: date | None = None  # active cards valid until this day at the latest


_APPLICATIONS = """
SELECT a.*, p.name AS person_name, e.name AS employer_name, e.uscc AS employer_uscc,
       (SELECT c.card_no FROM talent_card_issuances i
          JOIN talent_cards c ON c.tenant_id = i.tenant_id AND c.id = i.card_id
         WHERE i.tenant_id = a.tenant_id AND i.application_id = a.id
         ORDER BY i.issued_at DESC, i.id DESC LIMIT 1) AS issued_card_no,
       (SELECT c.card_no FROM talent_cards c WHERE c.tenant_id = a.tenant_id AND c.id = a.card_id)
         AS renewed_card_no
FROM talent_applications a
LEFT JOIN persons p ON p.tenant_id = a.tenant_id AND p.id = a.person_id
LEFT JOIN enterprises e ON e.tenant_id = a.tenant_id AND e.id = a.employer_id
"""
_APPLICATION_WHERE = """WHERE a.tenant_id = $1 AND ($2::text IS NULL OR a.state = $2)
  AND ($3::uuid IS NULL OR a.person_id = $3)"""

_CARDS = "SELECT c.* FROM talent_cards c"
_CARD_WHERE = """WHERE c.tenant_id = $1 AND ($2::text IS NULL OR c.state = $2)
  AND ($3::uuid IS NULL OR c.person_id = $3)
  AND ($4::date IS NULL OR (c.state = 'active' AND c.valid_until <= $4))"""


def _conn() -> Any:
    return current_transaction().connection


def shown(row: Any) -> dict[str, Any]:
    """An application as pages show it: the person's name masked, the clear name dropped."""
    out = dict(row)
    name = out.pop("person_name", None)
    out["person_masked"] = mask_name(name) if name else ""
    out["card_no"] = out.get("issued_card_no") or None
    evaluation = as_json(out.get("evaluation")) or {}
    out["best_tier"] = evaluation.get("best_tier")
    return out


def expiring_by(today: date) -> date:
    return today + timedelta(days=EXPIRING_DAYS)


async def applications_page(tenant_id: UUID, f: ApplicationFilter, number: int, size: int) -> Page:
    args = [tenant_id, f.state, f.person_id]
    total = await _conn().fetchval(f"SELECT count(*) FROM talent_applications a {_APPLICATION_WHERE}", *args)
    rows = await _conn().fetch(
        f"""{_APPLICATIONS} {_APPLICATION_WHERE} ORDER BY a.created_at DESC, a.id DESC
            LIMIT $4 OFFSET $5""",
        *args, size, (number - 1) * size,
    )  # fmt: skip
    return Page([shown(r) for r in rows], total, number, size)


async def all_applications(tenant_id: UUID, f: ApplicationFilter) -> list[dict[str, Any]]:
    rows = await _conn().fetch(
        f"{_APPLICATIONS} {_APPLICATION_WHERE} ORDER BY a.created_at DESC, a.id DESC LIMIT $4",
        tenant_id, f.state, f.person_id, EXPORT_LIMIT,
    )  # fmt: skip
    return [shown(r) for r in rows]


async def one_application(tenant_id: UUID, application_id: UUID) -> dict[str, Any] | None:
    row = await _conn().fetchrow(
        f"{_APPLICATIONS} WHERE a.tenant_id = $1 AND a.id = $2", tenant_id, application_id
    )
    return shown(row) if row else None


async def queue(tenant_id: UUID) -> dict[str, list[dict[str, Any]]]:
    """The reviewer's work: submitted applications (oldest submission first) and approvals not yet
    issued (oldest decision first, what "issue now" takes)."""
    submitted = await _conn().fetch(
        f"""{_APPLICATIONS} WHERE a.tenant_id = $1 AND a.state = 'submitted'
            ORDER BY a.submitted_at, a.id LIMIT $2""",
        tenant_id, EXPORT_LIMIT,
    )  # fmt: skip
    approved = await _conn().fetch(
        f"""{_APPLICATIONS} WHERE a.tenant_id = $1 AND a.state = 'approved'
            ORDER BY a.decided_at, a.id LIMIT $2""",
        tenant_id, EXPORT_LIMIT,
    )  # fmt: skip
    return {"submitted": [shown(r) for r in submitted], "approved": [shown(r) for r in approved]}


async def cards_page(tenant_id: UUID, f: CardFilter, number: int, size: int) -> Page:
    args = [tenant_id, f.state, f.person_id, f.expiring_by]
    total = await _conn().fetchval(f"SELECT count(*) FROM talent_cards c {_CARD_WHERE}", *args)
    order = "c.valid_until, c.id" if f.expiring_by else "c.issued_at DESC, c.id DESC"
    rows = await _conn().fetch(
        f"{_CARDS} {_CARD_WHERE} ORDER BY {order} LIMIT $5 OFFSET $6", *args, size, (number - 1) * size
    )
    return Page([dict(r) for r in rows], total, number, size)


async def all_cards(tenant_id: UUID, f: CardFilter) -> list[dict[str, Any]]:
    order = "c.valid_until, c.id" if f.expiring_by else "c.issued_at DESC, c.id DESC"
    rows = await _conn().fetch(
        f"{_CARDS} {_CARD_WHERE} ORDER BY {order} LIMIT $5",
        tenant_id, f.state, f.person_id, f.expiring_by, EXPORT_LIMIT,
    )  # fmt: skip
    return [dict(r) for r in rows]


async def counts(tenant_id: UUID, today: date) -> dict[str, int]:
    """The dashboard's talent-card queues: approvals to issue, active cards expiring soon."""
    to_issue = await _conn().fetchval(
        "SELECT count(*) FROM talent_applications WHERE tenant_id = $1 AND state = 'approved'", tenant_id
    )
    expiring = await _conn().fetchval(
        """SELECT count(*) FROM talent_cards WHERE tenant_id = $1 AND state = 'active'
             AND valid_until <= $2""",
        tenant_id, expiring_by(today),
    )  # fmt: skip
    return {"talent_to_issue": to_issue, "talent_expiring": expiring}
