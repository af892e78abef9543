"""Demo data: every district gets valid synthetic people and enterprises of its own code, HK and
Macao residents with their documents; a second run adds nothing."""

from __future__ import annotations

import uuid

from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import identifiers as ids
from renshe.registry.documents import clear_documents
from renshe.registry.seed import NAMESPACE, seed_demo_registry
from tests.registry.support import unit_id


async def _counts(tenant) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        return (
            await conn.fetchval("SELECT count(*) FROM persons"),
            await conn.fetchval("SELECT count(*) FROM enterprises"),
            await conn.fetchval("SELECT count(*) FROM person_enterprise_links"),
        )


async def test_seed_is_valid_per_district_and_idempotent(db: None, settings) -> None:  # type: ignore[no-untyped-def]
    await seed_demo_registry(settings, "small")  # (another test may have seeded already)
    tenant = await unit_id("440784")
    expected = [uuid.uuid5(NAMESPACE, f"440784:person:{i}") for i in range(300)]
    async with tenant_transaction(TenantContext.district(tenant)):
        present = await current_transaction().connection.fetchval(
            "SELECT count(*) FROM persons WHERE id = ANY($1::uuid[])", expected
        )
    assert present == 300
    before = await _counts(tenant)
    second = await seed_demo_registry(settings, "small")
    assert second == {"people": 0, "enterprises": 0, "links": 0}
    assert await _counts(tenant) == before
    async with tenant_transaction(TenantContext.district(tenant)):
        conn = current_transaction().connection
        seeded = await conn.fetch("SELECT id, residency FROM persons WHERE id = ANY($1::uuid[])", expected)
        kinds: dict[str, int] = {}
        for row in seeded:
            for _, doc_type, number in await clear_documents(tenant, row["id"]):
                ids.validate_document(ids.DocumentType(doc_type), number)  # raises if invalid
                kinds[doc_type] = kinds.get(doc_type, 0) + 1
                if doc_type == "prc_id":
                    assert number.startswith("440784")
                if doc_type == "hkmo_residence_permit":
                    assert number[:6] in ("810000", "820000")
        seeded_enterprises = [uuid.uuid5(NAMESPACE, f"440784:enterprise:{i}") for i in range(30)]
        codes = [
            r["uscc"]
            for r in await conn.fetch(
                "SELECT uscc FROM enterprises WHERE id = ANY($1::uuid[])", seeded_enterprises
            )
        ]
    assert len(codes) == 30
    assert {"prc_id", "hkid", "macau_id", "home_return_permit", "hkmo_residence_permit"} <= set(kinds)
    assert {r["residency"] for r in seeded} >= {"mainland", "hong_kong", "macao"}
    for code in codes:
        assert ids.validate_uscc(code).address_code == "440784"
