"""How to put one row into each tenant table as a superuser, for the isolation attacks.

Every tenant table must have a factory here: `test_every_tenant_table_has_a_factory` fails
otherwise, so a new table cannot slip past the attacks. A factory takes a superuser asyncpg
connection and a tenant id and returns the new row's id (as text).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

Factory = Callable[[asyncpg.Connection, UUID], Awaitable[str]]


async def _audit_log(conn: asyncpg.Connection, tenant: UUID) -> str:
    seq = await conn.fetchval(
        "SELECT audit_append($1, NULL, 'attack-fixture', NULL, 'fixture.row', 'fixture', 'x',"
        " NULL, NULL, NULL, NULL)",
        tenant,
    )
    return str(await conn.fetchval("SELECT id FROM audit_log WHERE tenant_id = $1 AND seq = $2", tenant, seq))


async def _jobs(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            "INSERT INTO jobs (tenant_id, kind, idempotency_key, status)"
            " VALUES ($1, 'fixture.row', $2, 'succeeded') RETURNING id",
            tenant,
            f"fixture:{uuid.uuid4()}",
        )
    )


async def _person(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    person: UUID = await conn.fetchval(
        "INSERT INTO persons (tenant_id, name, residency) VALUES ($1, '测试人员', 'mainland') RETURNING id",
        tenant,
    )
    return person


async def _persons(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _person(conn, tenant))


async def _person_documents(conn: asyncpg.Connection, tenant: UUID) -> str:
    # ciphertext and index are opaque bytes here: the attacks are about rows, not their content
    return str(
        await conn.fetchval(
            """INSERT INTO person_documents (tenant_id, person_id, doc_type, number_enc, number_index,
                                             number_masked)
               VALUES ($1, $2, 'passport', 'fixture:x:y', $3, 'E*****01') RETURNING id""",
            tenant,
            await _person(conn, tenant),
            uuid.uuid4().bytes,
        )
    )


def _uscc() -> str:
    # the CHECK constraint's form only (hex digits are all in the USCC alphabet)
    return "91" + f"{uuid.uuid4().int % 10**6:06d}" + uuid.uuid4().hex[:10].upper()


async def _enterprise(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    enterprise: UUID = await conn.fetchval(
        "INSERT INTO enterprises (tenant_id, name, uscc, legal_representative)"
        " VALUES ($1, '测试企业', $2, '张三') RETURNING id",
        tenant,
        _uscc(),
    )
    return enterprise


async def _enterprises(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _enterprise(conn, tenant))


async def _person_enterprise_links(conn: asyncpg.Connection, tenant: UUID) -> str:
    # an ended link: the copy the insert attack makes does not collide with the open-link index
    return str(
        await conn.fetchval(
            """INSERT INTO person_enterprise_links (tenant_id, person_id, enterprise_id, role, since, until)
               VALUES ($1, $2, $3, 'employee', '2020-01-01', '2021-01-01') RETURNING id""",
            tenant,
            await _person(conn, tenant),
            await _enterprise(conn, tenant),
        )
    )


async def _program_receipts(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO program_receipts (tenant_id, program_code, document_index, award_ref, received_on)
               VALUES ($1, 'fixture', $2, $3, '2024-01-01') RETURNING id""",
            tenant,
            uuid.uuid4().bytes,
            f"fixture:{uuid.uuid4()}",
        )
    )


async def _program_claims(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO program_claims (tenant_id, program_code, document_index, application_id,
                                           exclusive, claimed_on)
               VALUES ($1, 'fixture', $2, $3, false, '2024-01-01') RETURNING id""",
            tenant,
            uuid.uuid4().bytes,
            await _application(conn, tenant),
        )
    )


async def _import_batches(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO import_batches (tenant_id, kind, filename, file_format, file_size, file_sha256)
               VALUES ($1, 'people', 'fixture.csv', 'csv', 0, $2) RETURNING id""",
            tenant,
            uuid.uuid4().bytes,
        )
    )


async def _record_numbers(conn: asyncpg.Connection, tenant: UUID) -> str:
    # a year of its own: a district has one counter per kind and year
    return str(
        await conn.fetchval(
            """INSERT INTO record_numbers (tenant_id, kind, year, last_value)
               VALUES ($1, 'DR', 2002 + floor(random() * 90)::int, 1)
               ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last_value = record_numbers.last_value
               RETURNING id""",
            tenant,
        )
    )


async def _fixture_program(conn: asyncpg.Connection, code: str = "fixture_program") -> str:
    await conn.execute(
        """INSERT INTO programs (code, family, name_zh, name_en, beneficiary)
           VALUES ($1, 'employment', '测试项目', 'Fixture program', '{person}')
           ON CONFLICT (code) DO NOTHING""",
        code,
    )
    return code


async def _fixture_user(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    return await conn.fetchval(
        "INSERT INTO users (username, org_unit_id, password_hash) VALUES ($1, $2, 'x') RETURNING id",
        f"fixture_{uuid.uuid4().hex[:12]}",
        tenant,
    )


async def _budgets(conn: asyncpg.Connection, tenant: UUID) -> str:
    # a program of its own: a district has one budget per program and year, and the attacks
    # may ask for several rows of one district
    program = await _fixture_program(conn, f"fixture_{uuid.uuid4().hex[:12]}")
    return str(
        await conn.fetchval(
            "INSERT INTO budgets (tenant_id, program_code, year, total_fen) VALUES ($1, $2, 2001, 100000)"
            " RETURNING id",
            tenant,
            program,
        )
    )


async def _application(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    program = await _fixture_program(conn)
    return await conn.fetchval(
        """INSERT INTO applications (tenant_id, program_code, person_id, application_date)
           VALUES ($1, $2, $3, '2026-01-05') RETURNING id""",
        tenant,
        program,
        await _person(conn, tenant),
    )


async def _applications(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _application(conn, tenant))


async def _application_events(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            "INSERT INTO application_events (tenant_id, application_id, to_state) VALUES ($1, $2, 'draft')"
            " RETURNING id",
            tenant,
            await _application(conn, tenant),
        )
    )


async def _objections(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO objections (tenant_id, application_id, raised_by, raised_on, content, recorded_by)
               VALUES ($1, $2, 'fixture', '2026-01-06', 'fixture objection', $3) RETURNING id""",
            tenant,
            await _application(conn, tenant),
            await _fixture_user(conn, tenant),
        )
    )


async def _batch(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    return await conn.fetchval(
        """INSERT INTO disbursement_batches (tenant_id, build_key, business_date, origin, payer_account,
                                             payer_name, payer_bank, layout)
           VALUES ($1, $2, '2026-01-06', 'manual', '4444070301010012168', 'fixture', 'fixture', 'generic_csv')
           RETURNING id""",
        tenant,
        f"fixture:{uuid.uuid4()}",
    )


async def _disbursement_batches(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _batch(conn, tenant))


async def _payment_lines(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO payment_lines (tenant_id, batch_id, application_id, seq, reference, amount_fen,
                                          payee_name, payee_account_enc, payee_account_masked)
               VALUES ($1, $2, $3, 1, $4, 100, 'fixture', 'x:y:z', '6222 **** **** 0128') RETURNING id""",
            tenant,
            await _batch(conn, tenant),
            await _application(conn, tenant),
            f"fixture-{uuid.uuid4().hex[:20]}",
        )
    )


async def _bank_returns(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO bank_returns (tenant_id, batch_id, filename, file_sha256, uploaded_by)
               VALUES ($1, $2, 'return.csv', $3, $4) RETURNING id""",
            tenant,
            await _batch(conn, tenant),
            uuid.uuid4().hex * 2,
            await _fixture_user(conn, tenant),
        )
    )


async def _talent_application(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    return await conn.fetchval(
        """INSERT INTO talent_applications (tenant_id, person_id, employer_id, tier_claimed, contract_end,
                                            application_date)
           VALUES ($1, $2, $3, 'B', '2030-01-31', '2026-01-05') RETURNING id""",
        tenant,
        await _person(conn, tenant),
        await _enterprise(conn, tenant),
    )


async def _talent_applications(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _talent_application(conn, tenant))


async def _talent_application_events(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO talent_application_events (tenant_id, application_id, to_state)
               VALUES ($1, $2, 'draft') RETURNING id""",
            tenant,
            await _talent_application(conn, tenant),
        )
    )


async def _talent_status_lists(conn: asyncpg.Connection, tenant: UUID) -> str:
    # one list per district: a second call finds the first
    return str(
        await conn.fetchval(
            """INSERT INTO talent_status_lists (tenant_id) VALUES ($1)
               ON CONFLICT (tenant_id) DO UPDATE SET changed_at = talent_status_lists.changed_at
               RETURNING id""",
            tenant,
        )
    )


async def _fixture_signing_key(conn: asyncpg.Connection) -> str:
    await conn.execute(
        """INSERT INTO card_signing_keys (kid, public_key, private_key, state, signed_until)
           VALUES ('fixture', decode(repeat('00', 32), 'hex'), 'x:y:z', 'verifying', now())
           ON CONFLICT (kid) DO NOTHING"""
    )
    return "fixture"


async def _talent_card(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    application = await _talent_application(conn, tenant)
    await _talent_application(conn, tenant)  # a spare approval: the insert attack's control needs one
    return await conn.fetchval(
        """INSERT INTO talent_cards (tenant_id, card_no, year, status_index, application_id, person_id, tier,
                                     policy_version_id, valid_from, valid_until, contract_end, holder_masked,
                                     kid, token)
           SELECT $1, '', 0, 0, a.id, a.person_id, 'B', (SELECT id FROM program_versions LIMIT 1),
                  '2026-01-06', '2029-01-05', '2030-01-31', '测*', $3, 'fixture-token'
           FROM talent_applications a WHERE a.id = $2 RETURNING id""",
        tenant,
        application,
        await _fixture_signing_key(conn),
    )


async def _talent_cards(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _talent_card(conn, tenant))


async def _talent_card_issuances(conn: asyncpg.Connection, tenant: UUID) -> str:
    card = await _talent_card(conn, tenant)
    return str(
        await conn.fetchval(
            """INSERT INTO talent_card_issuances (tenant_id, application_id, card_id, kind, valid_from,
                                                  valid_until, kid)
               SELECT tenant_id, application_id, id, 'reissue', valid_from, valid_until, kid
               FROM talent_cards WHERE id = $1 RETURNING id""",
            card,
        )
    )


async def _talent_benefit_uses(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO talent_benefit_uses (tenant_id, card_id, benefit, used_on, place)
               VALUES ($1, $2, 'medical_green_channel', '2026-03-02', '江门市中心医院') RETURNING id""",
            tenant,
            await _talent_card(conn, tenant),
        )
    )


async def _talent_benefit_counts(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO talent_benefit_counts (tenant_id, card_id, benefit, year, used)
               VALUES ($1, $2, 'housing', 2001 + floor(random() * 90)::int, 1) RETURNING id""",
            tenant,
            await _talent_card(conn, tenant),
        )
    )


async def _hkmo_youth_row(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    youth: UUID = await conn.fetchval(
        """INSERT INTO hkmo_youth (tenant_id, person_id, status, reached_via, registered_on,
                                   age_at_registration, consent_given_at)
           VALUES ($1, $2, 'employed', 'job_fair', '2026-03-02', 30, now()) RETURNING id""",
        tenant,
        await _person(conn, tenant),
    )
    return youth


async def _hkmo_youth(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _hkmo_youth_row(conn, tenant))


async def _hkmo_youth_events(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO hkmo_youth_events (tenant_id, youth_id, kind, to_status)
               VALUES ($1, $2, 'registered', 'employed') RETURNING id""",
            tenant,
            await _hkmo_youth_row(conn, tenant),
        )
    )


async def _hkmo_grant_row(conn: asyncpg.Connection, tenant: UUID) -> UUID:
    grant: UUID = await conn.fetchval(
        """INSERT INTO hkmo_grants (tenant_id, youth_id, program_code, amount_fen, applied_on)
           VALUES ($1, $2, 'hkmo_rent', 0, '2026-03-02') RETURNING id""",
        tenant,
        await _hkmo_youth_row(conn, tenant),
    )
    return grant


async def _hkmo_grants(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(await _hkmo_grant_row(conn, tenant))


async def _hkmo_tranches(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO hkmo_tranches (tenant_id, grant_id, seq, milestone, due_on, amount_fen)
               VALUES ($1, $2, 1, 'lease_signed', '2026-03-02', 600000) RETURNING id""",
            tenant,
            await _hkmo_grant_row(conn, tenant),
        )
    )


async def _hkmo_clawbacks(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO hkmo_clawbacks (tenant_id, grant_id, amount_fen, reason, recorded_by)
               VALUES ($1, $2, 100, 'fixture', $3) RETURNING id""",
            tenant,
            await _hkmo_grant_row(conn, tenant),
            await _fixture_user(conn, tenant),
        )
    )


async def _hkmo_ledger(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO hkmo_ledger (tenant_id, grant_id, kind, amount_fen)
               VALUES ($1, $2, 'awarded', 600000) RETURNING id""",
            tenant,
            await _hkmo_grant_row(conn, tenant),
        )
    )


async def _hkmo_loans(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO hkmo_loans (tenant_id, grant_id, bank, principal_fen, annual_rate_bp, term_months,
                                       period_months, starts_on)
               VALUES ($1, $2, '中国银行江门分行', 30000000, 365, 24, 3, '2026-01-05') RETURNING id""",
            tenant,
            await _hkmo_grant_row(conn, tenant),
        )
    )


async def _alerts(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO alerts (tenant_id, kind, subject, raised_on)
               VALUES ($1, 'hkmo.ledger_unbalanced', $2, '2026-03-02') RETURNING id""",
            tenant,
            f"grant:{uuid.uuid4()}",
        )
    )


async def _supervision_grants(conn: asyncpg.Connection, tenant: UUID) -> str:
    # any other unit as the district it opens: the attacks are about the row's tenant
    return str(
        await conn.fetchval(
            """INSERT INTO supervision_grants (tenant_id, user_id, district_id, reason, ends_at)
               VALUES ($1, (SELECT id FROM users ORDER BY id LIMIT 1),
                       (SELECT id FROM org_units WHERE id <> $1 ORDER BY code LIMIT 1), '督查测试',
                       now() + interval '1 hour') RETURNING id""",
            tenant,
        )
    )


async def _rollup_cells(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO rollup_cells (tenant_id, month, program_code, metric, value)
               VALUES ($1, '1999-01-01', 'startup_once', 'applications', 1)
               ON CONFLICT (tenant_id, month, program_code, metric) DO UPDATE SET value = 1 RETURNING id""",
            tenant,
        )
    )


async def _rollup_changes(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO rollup_changes (tenant_id, month, program_code)
               VALUES ($1, '1999-01-01', 'startup_once') RETURNING id""",
            tenant,
        )
    )


async def _rollup_payee_months(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO rollup_payee_months (tenant_id, program_code, served, payee_id, month, paid_lines)
               VALUES ($1, 'startup_once', 'people_served', gen_random_uuid(), '1999-01-01', 1)
               RETURNING id""",
            tenant,
        )
    )


async def _rollup_folds(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO rollup_folds (tenant_id, folded_at) VALUES ($1, now())
               ON CONFLICT (tenant_id) DO UPDATE SET folded_at = now() RETURNING id""",
            tenant,
        )
    )


async def _monthly_reports(conn: asyncpg.Connection, tenant: UUID) -> str:
    return str(
        await conn.fetchval(
            """INSERT INTO monthly_reports (tenant_id, month, content, sha256)
               VALUES ($1, (SELECT min(m)::date FROM generate_series(date '1900-01-01', date '1999-12-01',
                            interval '1 month') m WHERE NOT EXISTS (SELECT 1 FROM monthly_reports r
                            WHERE r.tenant_id = $1 AND r.month = m)),
                       'x', repeat('0', 64)) RETURNING id""",
            tenant,
        )
    )


FACTORIES: dict[str, Factory] = {
    "budgets": _budgets,
    "applications": _applications,
    "application_events": _application_events,
    "objections": _objections,
    "disbursement_batches": _disbursement_batches,
    "payment_lines": _payment_lines,
    "bank_returns": _bank_returns,
    "audit_log": _audit_log,
    "jobs": _jobs,
    "persons": _persons,
    "person_documents": _person_documents,
    "enterprises": _enterprises,
    "person_enterprise_links": _person_enterprise_links,
    "program_receipts": _program_receipts,
    "program_claims": _program_claims,
    "import_batches": _import_batches,
    "record_numbers": _record_numbers,
    "talent_applications": _talent_applications,
    "talent_application_events": _talent_application_events,
    "talent_status_lists": _talent_status_lists,
    "talent_cards": _talent_cards,
    "talent_card_issuances": _talent_card_issuances,
    "talent_benefit_uses": _talent_benefit_uses,
    "talent_benefit_counts": _talent_benefit_counts,
    "hkmo_youth": _hkmo_youth,
    "hkmo_youth_events": _hkmo_youth_events,
    "hkmo_grants": _hkmo_grants,
    "hkmo_tranches": _hkmo_tranches,
    "hkmo_clawbacks": _hkmo_clawbacks,
    "hkmo_ledger": _hkmo_ledger,
    "alerts": _alerts,
    "hkmo_loans": _hkmo_loans,
    "supervision_grants": _supervision_grants,
    "rollup_cells": _rollup_cells,
    "rollup_changes": _rollup_changes,
    "rollup_payee_months": _rollup_payee_months,
    "rollup_folds": _rollup_folds,
    "monthly_reports": _monthly_reports,
}

# Tables whose key is the district itself (one row per district): the insert attack's control in
# the victim's own context passes row security and then meets that key — which proves the policy
# let it through.
ONE_ROW_PER_DISTRICT = {"talent_status_lists", "rollup_folds"}

# Columns under a unique constraint: the insert attack copies a victim row, and its control
# (the same insert in the victim's own context must work) needs fresh values there. SQL
# expressions, evaluated by the database.
FRESH_COLUMNS: dict[str, dict[str, str]] = {
    "budgets": {
        "year": "(SELECT min(y) FROM generate_series(2000, 2100) y WHERE NOT EXISTS"
        " (SELECT 1 FROM budgets b WHERE b.year = y))"
    },
    # a year the context has no 'DR' counter for (row security shows only its own): a random year
    # collided now and then with one the district already counts in (a flaky control insert)
    "record_numbers": {
        "year": "(SELECT min(y) FROM generate_series(2000, 2100) y WHERE NOT EXISTS"
        " (SELECT 1 FROM record_numbers r WHERE r.kind = 'DR' AND r.year = y))"
    },
    "disbursement_batches": {"build_key": "gen_random_uuid()::text"},
    "payment_lines": {
        "reference": "gen_random_uuid()::text",
        # a line is born pending (0013), and an award has one live line: an award of the
        # context's own that has none (none at all in the attacker's: the copy is refused first)
        "application_id": "(SELECT a.id FROM applications a WHERE NOT EXISTS (SELECT 1 FROM payment_lines l"
        " WHERE l.tenant_id = a.tenant_id AND l.application_id = a.id AND l.state IN ('pending', 'paid'))"
        " ORDER BY a.id LIMIT 1)",
    },
    "bank_returns": {"file_sha256": "encode(sha256(gen_random_uuid()::text::bytea), 'hex')"},
    "jobs": {"idempotency_key": "'attack'"},
    "person_documents": {"number_index": "sha256(gen_random_uuid()::text::bytea)"},
    "enterprises": {
        "uscc": "'91' || lpad((floor(random() * 1000000))::int::text, 6, '0')"
        " || upper(substr(md5(random()::text), 1, 10))"
    },
    "program_receipts": {"award_ref": "gen_random_uuid()::text"},
    "program_claims": {"document_index": "sha256(gen_random_uuid()::text::bytea)"},
    # one card per approval: an approval of the context's own that has none
    "talent_cards": {
        "application_id": "(SELECT a.id FROM talent_applications a WHERE NOT EXISTS"
        " (SELECT 1 FROM talent_cards c WHERE c.tenant_id = a.tenant_id AND c.application_id = a.id)"
        " ORDER BY a.id LIMIT 1)",
    },
    "talent_benefit_counts": {
        "year": "(SELECT min(y) FROM generate_series(2000, 2100) y WHERE NOT EXISTS"
        " (SELECT 1 FROM talent_benefit_counts b WHERE b.year = y))"
    },
    # one registration per person: a person of the context's own who is not a youth yet
    "hkmo_youth": {
        "person_id": "(SELECT p.id FROM persons p WHERE NOT EXISTS (SELECT 1 FROM hkmo_youth y"
        " WHERE y.tenant_id = p.tenant_id AND y.person_id = p.id) ORDER BY p.id LIMIT 1)",
    },
    "hkmo_tranches": {"seq": "(SELECT max(seq) + 1 FROM hkmo_tranches)"},
    "alerts": {"subject": "gen_random_uuid()::text"},
    "monthly_reports": {
        "month": "(SELECT min(m)::date FROM generate_series(date '1900-01-01', date '1999-12-01',"
        " interval '1 month') m WHERE NOT EXISTS (SELECT 1 FROM monthly_reports r WHERE r.month = m))"
    },
    # a month no other cell of the context has
    "rollup_cells": {
        "month": "(SELECT min(m)::date FROM generate_series(date '1900-01-01', date '1999-12-01',"
        " interval '1 month') m WHERE NOT EXISTS (SELECT 1 FROM rollup_cells c WHERE c.month = m))"
    },
    "rollup_payee_months": {"payee_id": "gen_random_uuid()"},
    # one loan per grant: a grant of the context's own without one
    "hkmo_loans": {
        "grant_id": "(SELECT g.id FROM hkmo_grants g WHERE NOT EXISTS (SELECT 1 FROM hkmo_loans l"
        " WHERE l.tenant_id = g.tenant_id AND l.grant_id = g.id) ORDER BY g.id LIMIT 1)",
    },  # 1–120 (not the default 999999)
    # a grant is awarded once: a grant of the context's own with no award entry yet
    "hkmo_ledger": {
        "grant_id": "(SELECT g.id FROM hkmo_grants g WHERE NOT EXISTS (SELECT 1 FROM hkmo_ledger l"
        " WHERE l.tenant_id = g.tenant_id AND l.grant_id = g.id AND l.kind = 'awarded')"
        " ORDER BY g.id LIMIT 1)",
    },
}


async def copy_statement(superuser: asyncpg.Connection, table: str, row_id: str) -> tuple[str, list[object]]:
    """An INSERT of a copy of the row (new id, FRESH_COLUMNS fresh, same tenant_id), and its
    arguments: the insert attack, run in some other context."""
    fresh = FRESH_COLUMNS.get(table, {})
    every = [
        r["attname"]
        for r in await superuser.fetch(
            """SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0
               AND NOT attisdropped ORDER BY attnum""",
            table,
        )
    ]
    columns = [c for c in every if c not in ("id", "seq") and c not in fresh]
    extra_cols, extra_vals = list(fresh), list(fresh.values())
    if "seq" in every and "seq" not in fresh:
        extra_cols.append("seq")
        extra_vals.append("999999")
    row = await superuser.fetchrow(f"SELECT {', '.join(columns)} FROM {table} WHERE id::text = $1", row_id)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    sql = (
        f"INSERT INTO {table} ({', '.join(columns + extra_cols)}) "
        f"VALUES ({placeholders}{''.join(', ' + v for v in extra_vals)})"
    )
    return sql, list(row.values())
