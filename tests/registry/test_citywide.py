"""The city-wide once-per-lifetime gate: yes/no across districts, and nothing else — a district
still cannot read another district's receipts."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import asyncpg
import pytest

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import citywide, people
from renshe.registry.identifiers import DocumentType, validate_document
from renshe.registry.model import DocumentInput, PersonInput
from tests.registry.support import TESTER, hkid, home_return_permit, prc_id, raw_rows, unit_id

PROGRAM = "startup_once"


async def _register(tenant: UUID, *documents: tuple[str, str], residency: str | None = None) -> UUID:
    data = PersonInput(
        name="林嘉欣", documents=[DocumentInput(t, n) for t, n in documents], residency=residency
    )
    async with tenant_transaction(TenantContext.district(tenant)):
        return (await people.register_person(tenant, TESTER, data)).id


async def test_gate_answers_yes_across_districts_and_only_yes_or_no(admin_url: str, db: None) -> None:
    a, b = await unit_id("440703"), await unit_id("440704")
    card, permit = hkid(), home_return_permit()
    # district B knows the person by HKID and home-return permit, and paid them
    in_b = await _register(b, ("hkid", card), ("home_return_permit", permit))
    async with tenant_transaction(TenantContext.district(b)):
        assert await citywide.record_program_receipt(b, in_b, PROGRAM, "award-1", date(2024, 5, 1)) == 2
        assert await citywide.record_program_receipt(b, in_b, PROGRAM, "award-1", date(2024, 5, 1)) == 0
    # district A registered the same person with the permit only (renewed since)
    in_a = await _register(a, ("home_return_permit", permit + "03"))
    fresh = await _register(a, ("prc_id", prc_id("440703")))
    async with tenant_transaction(TenantContext.district(a)):
        assert await citywide.has_received_program(a, in_a, PROGRAM) is True
        assert await citywide.has_received_program(a, in_a, "another_program") is False
        assert await citywide.has_received_program(a, fresh, PROGRAM) is False
        doc = validate_document(DocumentType.HKID, card)
        assert await citywide.document_received_program(doc, PROGRAM) is True
        # ... and A still sees none of B's receipts, nor B's person
        conn = current_transaction().connection
        assert await conn.fetchval("SELECT count(*) FROM program_receipts WHERE tenant_id = $1", b) == 0
        assert await conn.fetchval("SELECT count(*) FROM persons WHERE id = $1", in_b) == 0
        answer = await conn.fetchrow("SELECT document_received_program($1, $2) AS yes", b"\x00" * 32, PROGRAM)
        assert list(answer.keys()) == ["yes"] and answer["yes"] is False
    # a withdrawn receipt (payment reversed) no longer counts
    async with tenant_transaction(TenantContext.district(b)):
        assert await citywide.withdraw_program_receipt(b, PROGRAM, "award-1") == 2
    async with tenant_transaction(TenantContext.district(a)):
        assert await citywide.has_received_program(a, in_a, PROGRAM) is False
    rows = await raw_rows(admin_url, "SELECT count(*) AS n FROM program_receipts WHERE person_id = $1", in_b)
    assert rows[0]["n"] == 0


async def test_the_gate_role_is_narrow(admin_url: str, db: None) -> None:
    """The gate's owner reads two columns and nothing else; the app role cannot become it."""
    gate_fn = "(SELECT {} FROM pg_proc WHERE proname = 'document_received_program')"
    rows = await raw_rows(
        admin_url,
        f"""SELECT r.rolcanlogin, r.rolbypassrls, r.rolsuper,
              has_table_privilege(r.rolname, 'persons', 'SELECT') AS persons,
              has_column_privilege(r.rolname, 'program_receipts', 'person_id', 'SELECT') AS who,
              has_column_privilege(r.rolname, 'program_receipts', 'document_index', 'SELECT') AS idx,
              pg_has_role('renshe_app', r.rolname, 'MEMBER') AS app_member,
              {gate_fn.format("proowner::regrole::text")} AS owner,
              {gate_fn.format("prosecdef")} AS definer
           FROM pg_roles r WHERE r.rolname = 'renshe_program_gate'""",
    )
    gate = rows[0]
    assert not gate["rolcanlogin"] and not gate["rolbypassrls"] and not gate["rolsuper"]
    assert not gate["persons"] and not gate["who"] and gate["idx"]
    assert not gate["app_member"]
    assert gate["owner"] == "renshe_program_gate" and gate["definer"]
    a = await unit_id("440703")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with tenant_transaction(TenantContext.district(a)):
            await current_transaction().connection.execute("SET LOCAL ROLE renshe_program_gate")
