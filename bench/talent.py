"""Nightly talent-card issuance: ``n`` approvals issued as the ``talent.issue`` job does it, against
COPY of the very same card rows plus signing the same tokens (goal ≥ 0.3× the baseline's cards
per second).

The product runs as deployed: the application role through RLS, one transaction per chunk of
approvals (locked ``SKIP LOCKED``; the chunk's numbers and status indexes reserved; the
applications moved to ``issued`` with their timeline events; the tokens signed with the active key
a slice at a time while the database inserts the slice before — cards, numbered by the trigger
from the reservation, and their issuances —; one audit record), then the district's status list
published. The baseline deletes those cards and
issuances and COPYs the same card rows back without triggers, signing every token again in the
timed part: what issuing costs at the very least.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import date, timedelta

import asyncpg

from bench.environment import started_engine
from bench.report import Result
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.jobs import runner
from renshe.talent import issuance, signing_keys, tasks, tokens
from renshe.talent.card_numbers import parse_card_number

DISTRICT = "440704"
BUSINESS_DATE = date(2026, 3, 3)
CHUNK = 5_000


async def make_approved(url: str, count: int) -> uuid.UUID:
    """``count`` approved tier-B applications of new people in the district (COPY, as the
    superuser: the steps before approval are not what is measured); returns the district's id."""
    conn = await asyncpg.connect(url)
    try:
        tenant = await conn.fetchval("SELECT id FROM org_units WHERE code = $1", DISTRICT)
        version = await conn.fetchval(
            "SELECT id FROM program_versions WHERE program_code = 'talent_card_b' ORDER BY version LIMIT 1"
        )
        maker, checker = [
            await conn.fetchval(
                "INSERT INTO users (username, org_unit_id, password_hash) VALUES ($1, $2, 'x') RETURNING id",
                f"bench_{uuid.uuid4().hex[:12]}", tenant,
            )
            for _ in range(2)
        ]  # fmt: skip
        employer = await conn.fetchval(
            """INSERT INTO enterprises (tenant_id, name, legal_representative, uscc)
               VALUES ($1, '江门市基准测试有限公司', '张三',
                       '91440704MA' || upper(substr(md5(random()::text), 1, 8)))
               RETURNING id""",
            tenant,
        )
        facts = json.dumps({"qualifications": ["doctorate"], "social_insurance_months": 24})
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            people = [uuid.uuid4() for _ in range(n)]
            await conn.copy_records_to_table(
                "persons",
                records=[(tenant, p, f"人才{start + i}", "mainland") for i, p in enumerate(people)],
                columns=["tenant_id", "id", "name", "residency"],
            )
            async with conn.transaction():
                ids = [uuid.uuid4() for _ in range(n)]
                await conn.executemany(
                    """INSERT INTO talent_applications (tenant_id, id, person_id, employer_id, tier_claimed,
                                                        facts, contract_end, application_date, created_by)
                       VALUES ($1, $2, $3, $4, 'B', $5::jsonb, $6, $7, $8)""",
                    [(tenant, a, p, employer, facts, BUSINESS_DATE + timedelta(days=4000), BUSINESS_DATE,
                      maker)
                     for a, p in zip(ids, people, strict=True)],
                )  # fmt: skip
                await conn.execute(
                    """UPDATE talent_applications
                       SET state = 'submitted', submitted_by = $2, submitted_at = now(),
                              employer_confirmed_by = '人事部', employer_confirmed_at = now()
                       WHERE id = ANY($1::uuid[])""",
                    ids, maker,
                )  # fmt: skip
                await conn.execute(
                    """UPDATE talent_applications
                       SET state = 'approved', tier_approved = 'B', policy_version_id = $2,
                              decided_by = $3, decided_at = now(), approved_on = $4
                       WHERE id = ANY($1::uuid[])""",
                    ids, version, checker, BUSINESS_DATE,
                )  # fmt: skip
        await conn.execute("VACUUM ANALYZE persons, talent_applications")
        return tenant
    finally:
        await conn.close()


async def _issue_as_the_job_does(tenant: uuid.UUID) -> tuple[float, int]:
    """The ``talent.issue`` job itself, claimed and run in this process as a worker runs it."""
    async with started_engine():
        async with tenant_transaction(TenantContext.district(tenant)):
            job = await tasks.request_issue(tenant, None, BUSINESS_DATE)
        t0 = time.perf_counter()
        status = await runner.run(tenant, job.id, worker="bench")
        seconds = time.perf_counter() - t0
        async with tenant_transaction(TenantContext.district(tenant)):
            result = await current_transaction().connection.fetchval(
                "SELECT result FROM jobs WHERE id = $1", job.id
            )
    if status != "succeeded":
        raise RuntimeError(f"the issue job ended {status}")
    return seconds, int(json.loads(result)["issued"] if isinstance(result, str) else result["issued"])


async def _copy_same_cards(url: str, tenant: uuid.UUID, signer: signing_keys.Signer) -> float:
    conn = await asyncpg.connect(url)
    try:
        columns = [
            r["attname"]
            for r in await conn.fetch(
                """SELECT attname FROM pg_attribute WHERE attrelid = 'talent_cards'::regclass
                   AND attnum > 0 AND NOT attisdropped ORDER BY attnum"""
            )
        ]
        rows = [dict(r) for r in await conn.fetch(
            f"SELECT {', '.join(columns)} FROM talent_cards WHERE tenant_id = $1", tenant
        )]  # fmt: skip
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("DELETE FROM talent_card_issuances WHERE tenant_id = $1", tenant)
            await conn.execute("DELETE FROM talent_cards WHERE tenant_id = $1", tenant)
        await conn.execute("VACUUM ANALYZE talent_cards")
        t0 = time.perf_counter()
        records = []
        for row in rows:
            claims = tokens.CardClaims(
                kid=signer.kid, card=parse_card_number(row["card_no"]), tier=row["tier"],
                valid_from=row["valid_from"], valid_until=row["valid_until"],
                status_index=row["status_index"],
                holder=row["holder_masked"],
            )  # fmt: skip
            row["token"] = tokens.sign(claims, signer.private_key)
            records.append(tuple(row[c] for c in columns))
        async with conn.transaction():
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.copy_records_to_table("talent_cards", records=records, columns=columns)
        return time.perf_counter() - t0
    finally:
        await conn.close()


async def run(url: str, n: int) -> Result:
    tenant = await make_approved(url, n)
    seconds, issued = await _issue_as_the_job_does(tenant)
    if issued != n:
        raise RuntimeError(f"issued {issued} cards for {n} approvals")
    async with started_engine():
        signer = await issuance.signer_for_run()
    baseline = await _copy_same_cards(url, tenant, signer)
    product_rate, baseline_rate = n / seconds, n / baseline
    return Result(
        name="nightly card issuance",
        product=f"issue {n:,} approvals as the talent.issue job: {product_rate:,.0f} cards/s "
        f"({seconds:.1f} s, "
        "numbers, tokens, issuances, events, audit, the status list)",
        baseline=f"COPY of the same card rows + signing the same tokens: {baseline_rate:,.0f} cards/s",
        ratio=product_rate / baseline_rate,
        goal=0.3,
        higher_is_better=True,
    )
