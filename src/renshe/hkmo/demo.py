"""演示数据 — the Hong Kong and Macao youth register of every district (``renshe seed --demo``).

Through the real service and as the district's demo clerk (``clerk_C``): every demo person of the
district who holds a Hong Kong or Macao document and is 45 or under becomes a youth, a few weeks
after the registry first recorded them (``renshe.registry.seed``: over two years that end two
months before today) and at the latest six working days ago — so the register grows over two
years, the history the grants' story needs (``renshe.hkmo.demo_history``). Statuses, channels and
schools in turn; a few change status a week later, and one withdraws consent. A person over 45 is
left out, as the service refuses them. Idempotent: a district with any youth is left alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import structlog

from renshe import clock
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.hkmo import youth
from renshe.subsidies import calendar
from renshe.subsidies.demo import at, demo_staff, each_district

log = structlog.get_logger(__name__)

STATUSES = ("employed", "founder", "studying", "self_employed", "employed", "founder")
CHANNELS = ("job_fair", "campus_event", "competition", "referral", "online", "walk_in")
SCHOOLS = ("香港大学", "香港中文大学", "香港科技大学", "香港理工大学", "澳门大学", "澳门科技大学")
BASES = ("珠西先进产业优秀人才创新创业园", "江门市港澳青年创新创业基地", None)
LATER = {"studying": "employed", "employed": "founder", "founder": "left"}


async def _candidates(tenant_id: UUID, today: date) -> list[tuple[UUID, date]] | None:
    """The district's people with a Hong Kong or Macao document, 45 or under, and the day the
    registry recorded each (None: seeded)."""
    async with tenant_transaction(TenantContext.district(tenant_id)):
        conn = current_transaction().connection
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM hkmo_youth WHERE tenant_id = $1)", tenant_id):
            return None
        rows = await conn.fetch(
            """SELECT p.id, p.birth_date, p.created_at FROM persons p
               WHERE p.tenant_id = $1 AND p.birth_date IS NOT NULL AND EXISTS (
                 SELECT 1 FROM person_documents d WHERE d.tenant_id = p.tenant_id AND d.person_id = p.id
                   AND d.doc_type = ANY($2::text[]))
               ORDER BY p.created_at, p.id""",
            tenant_id, sorted(youth.HKMO_DOCUMENTS),
        )  # fmt: skip
    # 45 or under today is 45 or under on any earlier day of the story
    return [
        (r["id"], r["created_at"].astimezone(clock.SHANGHAI).date())
        for r in rows
        if youth.age_on(r["birth_date"], today) <= youth.MAX_AGE
    ]


async def seed_district(tenant_id: UUID, code: str, today: date | None = None) -> int:
    """Register the district's demo youth; returns how many (0 when already seeded)."""
    today = today or clock.today()
    staff = await demo_staff(code)
    people = await _candidates(tenant_id, today)
    if staff is None or not people:
        return 0
    latest = calendar.add_working_days(today, -6)
    for turn, (person_id, recorded_on) in enumerate(people):
        # a few weeks after the registry recorded them (the earliest over two years ago)
        day = min(calendar.next_working_day(recorded_on + timedelta(days=14 + turn % 20)), latest)
        registration = youth.Registration(
            person_id=person_id, status=STATUSES[turn % len(STATUSES)],
            reached_via=CHANNELS[turn % len(CHANNELS)], consent=True, school=SCHOOLS[turn % len(SCHOOLS)],
            graduated_on=date(day.year - 1 - turn % 6, 7, 1), incubation_base=BASES[turn % len(BASES)],
        )  # fmt: skip
        with at(day, 9 + turn % 8, (turn * 7) % 60):
            row = await youth.register(staff.clerk, registration)
        later = calendar.add_working_days(day, 5)
        if turn % 4 == 1 and row["status"] in LATER:
            with at(later, 15):
                row = await youth.change(staff.clerk, row["id"], row["version"], status=LATER[row["status"]],
                                         comment="回访更新状态")  # fmt: skip
        if turn == 2:
            with at(later, 16):
                await youth.change(staff.clerk, row["id"], row["version"], withdraw_consent=True,
                                   comment="本人书面申请撤回授权")  # fmt: skip
    log.info("hkmo.demo_seeded", district=code, youth=len(people))
    return len(people)


async def seed_demo_hkmo(codes: tuple[str, ...] | None = None, today: date | None = None) -> dict[str, int]:
    """Seed every active district (or those in ``codes``); youth registered per district."""
    return await each_district(seed_district, codes, today)
