"""Many approved talent-card applications at once, written as a superuser along the allowed
state edges (draft → submitted → approved), for the concurrency, kill and benchmark runs."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from uuid import UUID

import asyncpg

from renshe.db import urls


async def make_approved(
    admin_url: str, tenant: UUID, count: int, approved_on: date, tier: str = "B"
) -> list[UUID]:
    """``count`` applications of new people of ``tenant``, approved for ``tier`` on ``approved_on``."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        async with conn.transaction():
            version = await conn.fetchval(
                """SELECT id FROM program_versions WHERE program_code = $1
                   ORDER BY effective_from DESC LIMIT 1""",
                f"talent_card_{tier.lower()}",
            )
            maker, checker = [
                await conn.fetchval(
                    """INSERT INTO users (username, org_unit_id, password_hash) VALUES ($1, $2, 'x')
                       RETURNING id""",
                    f"bulk_{uuid.uuid4().hex[:12]}", tenant,
                )
                for _ in range(2)
            ]  # fmt: skip
            employer = await conn.fetchval(
                """INSERT INTO enterprises (tenant_id, name, legal_representative, uscc)
                   VALUES ($1, '江门市批量测试有限公司', '张三',
                           '91' || lpad((floor(random() * 1000000))::int::text, 6, '0')
                           || upper(substr(md5(random()::text), 1, 10)))
                   RETURNING id""",
                tenant,
            )
            persons = await conn.fetch(
                """INSERT INTO persons (tenant_id, name, residency)
                   SELECT $1, '人才' || g, 'mainland' FROM generate_series(1, $2) g RETURNING id""",
                tenant,
                count,
            )
            ids = [uuid.uuid4() for _ in range(count)]
            facts = json.dumps({"qualifications": ["doctorate"], "social_insurance_months": 24})
            await conn.executemany(
                """INSERT INTO talent_applications (tenant_id, id, person_id, employer_id, tier_claimed,
                                                    facts, contract_end, application_date, created_by)
                   VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)""",
                [
                    (
                        tenant,
                        i,
                        p["id"],
                        employer,
                        tier,
                        facts,
                        approved_on + timedelta(days=4000),
                        approved_on,
                        maker,
                    )
                    for i, p in zip(ids, persons, strict=True)
                ],
            )
            await conn.execute(
                """UPDATE talent_applications
                   SET state = 'submitted', submitted_by = $2, submitted_at = now(),
                       employer_confirmed_by = '人事部', employer_confirmed_at = now()
                   WHERE id = ANY($1::uuid[])""",
                ids, maker,
            )  # fmt: skip
            await conn.execute(
                """UPDATE talent_applications SET state = 'approved', tier_approved = tier_claimed,
                          policy_version_id = $2, decided_by = $3, decided_at = now(), approved_on = $4
                   WHERE id = ANY($1::uuid[])""",
                ids, version, checker, approved_on,
            )  # fmt: skip
        await conn.execute("ANALYZE talent_applications, persons")
        return ids
    finally:
        await conn.close()


async def sequences(admin_url: str, tenant: UUID, year: int) -> list[int]:
    """Every committed card number's sequence of the district and year, in order."""
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        rows = await conn.fetch(
            "SELECT card_no FROM talent_cards WHERE tenant_id = $1 AND year = $2 ORDER BY card_no",
            tenant,
            year,
        )
        return sorted(int(r["card_no"][12:-1]) for r in rows)
    finally:
        await conn.close()
