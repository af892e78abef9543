"""Programs in the database: idempotent sync, immutable versions, dated selection, district
overrides from tenants/*.toml (applied to that district only, bad keys refused with file, line
and key), and the programs API."""

from __future__ import annotations

import asyncio
import copy
import shutil
import sys
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from subprocess import PIPE
from typing import Any

import asyncpg
import pytest
import pytest_asyncio

from renshe.accounts.principal import Role
from renshe.db import urls
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.subsidies.programs import service
from renshe.subsidies.programs.catalog import parse_catalogue
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.tenancy import service as tenancy
from tests.registry.support import api_headers, client, unit_id
from tests.subsidies.programs_support import company

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def programs(db: None) -> None:
    await sync_catalogue()


async def _stored() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        programs = [dict(r) for r in await conn.fetch("SELECT * FROM programs ORDER BY code")]
        versions = [dict(r) for r in await conn.fetch("SELECT * FROM program_versions ORDER BY id")]
    return programs, versions


def _seed_data() -> dict[str, Any]:
    text = resources.files("renshe.subsidies.programs").joinpath("seed_programs.toml").read_text("utf-8")
    return tomllib.loads(text)


async def test_sync_twice_changes_nothing(programs: None) -> None:
    before = await _stored()
    report = await sync_catalogue()
    assert not report.changed and len(report.unchanged) == 16  # 13 subsidies, 3 talent-card tiers
    assert await _stored() == before
    codes = [p["code"] for p in before[0] if p["active"]]
    assert "startup_once" in codes and "hkmo_loan_interest" in codes
    hiring = [v for v in before[1] if v["program_code"] == "hiring_once"]
    assert sorted((v["effective_from"], v["effective_to"]) for v in hiring)[:2] == [
        (date(2024, 1, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), None),
    ]


async def test_versions_are_immutable_even_for_the_superuser(programs: None, admin_url: str) -> None:
    async with tenant_transaction(TenantContext.none()):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await current_transaction().connection.execute("UPDATE program_versions SET digest = digest")
    conn = await asyncpg.connect(**urls.asyncpg_kwargs(admin_url))
    try:
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="immutable"):
            await conn.execute("UPDATE program_versions SET terms = '{}' WHERE program_code = 'startup_once'")
        with pytest.raises(asyncpg.IntegrityConstraintViolationError, match="immutable"):
            await conn.execute("DELETE FROM program_versions WHERE program_code = 'startup_once'")
    finally:
        await conn.close()


async def test_dated_selection_by_application_date(programs: None) -> None:
    async with tenant_transaction(TenantContext.none()):
        late_2024 = await service.version_in_force("hiring_once", None, date(2024, 12, 31))
        early_2025 = await service.version_in_force("hiring_once", None, date(2025, 1, 1))
        with pytest.raises(service.NoVersionInForce):
            await service.version_in_force("hiring_once", None, date(2023, 12, 31))
        with pytest.raises(service.NotFound):
            await service.version_in_force("no_such_program", None, date(2025, 1, 1))
    assert late_2024.version_id != early_2025.version_id
    assert late_2024.effective_from == date(2024, 1, 1) and early_2025.effective_from == date(2025, 1, 1)
    kind = company().kind
    assert late_2024.terms.rule_for(kind).compute({"hires": 4}).amount_fen == 400_000  # type: ignore[union-attr]
    assert early_2025.terms.rule_for(kind).compute({"hires": 4}).amount_fen == 600_000  # type: ignore[union-attr]
    snapshot = early_2025.snapshot()
    assert snapshot["version_id"] == str(early_2025.version_id) and snapshot["terms"]["amount"]["tiers"]


async def test_a_correction_is_a_new_version_and_the_old_one_stays_readable(programs: None) -> None:
    data = _seed_data()
    probe = copy.deepcopy(next(p for p in data["programs"] if p["code"] == "startup_once"))
    probe.update(code="zz_probe", name_zh="测试项目", name_en="Probe program", sort_order=999)
    probe["versions"][0]["eligibility"]["once_per_lifetime"] = True
    probe["versions"][0]["caps"]["programs"] = ["zz_probe"]
    data["programs"].append(probe)
    first = await sync_catalogue(parse_catalogue(data))
    assert first.created == ["zz_probe"] and first.new_versions == ["zz_probe v1 from 2024-01-01"]
    async with tenant_transaction(TenantContext.none()):
        old = await service.version_in_force("zz_probe", None, date(2025, 3, 1))
    probe["versions"][0]["amount"]["amount"] = "8000"  # a correction, same effective_from
    probe["versions"].append({**copy.deepcopy(probe["versions"][0]), "effective_from": date(2026, 1, 1)})
    probe["versions"][1]["amount"]["amount"] = "12000"
    second = await sync_catalogue(parse_catalogue(data))
    assert second.new_versions == ["zz_probe v2 from 2024-01-01", "zz_probe v3 from 2026-01-01"]
    assert (await sync_catalogue(parse_catalogue(data))).changed is False
    async with tenant_transaction(TenantContext.none()):
        corrected = await service.version_in_force("zz_probe", None, date(2025, 3, 1))
        later = await service.version_in_force("zz_probe", None, date(2026, 3, 1))
        again = await service.version_by_id(old.version_id)  # type: ignore[arg-type]
    assert (corrected.version, later.version) == (2, 3)
    assert corrected.terms.data["amount"]["amount_fen"] == 800_000
    assert later.terms.data["amount"]["amount_fen"] == 1_200_000
    assert again.terms.data["amount"]["amount_fen"] == 1_000_000 and again.version == 1
    # the seed again: the probe is deactivated, never deleted (awards may point at it)
    back = await sync_catalogue()
    assert back.deactivated == ["zz_probe"] and not back.new_versions


async def test_district_override_from_tenant_files_applies_to_that_district_only(
    programs: None, tmp_path: Path
) -> None:
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    taishan = folder / "440781-taishan.toml"
    taishan.write_text(
        taishan.read_text(encoding="utf-8")
        + '\n[programs.startup_rent]\namount = { per_year_cap = "5000" }\ncaps = { per_year = "5000" }\n'
        + "\n[programs.hkmo_failure]\ndisabled = true\n",
        encoding="utf-8",
    )
    try:
        await tenancy.sync_directory(folder)
        facts = {"months": 12, "monthly_rent_fen": 70_000}
        on = date(2025, 6, 1)
        amounts = {}
        for code in ("440781", "440783"):
            tenant = await unit_id(code)
            async with tenant_transaction(TenantContext.district(tenant)):
                version = await service.version_in_force("startup_rent", tenant, on)
                failure = await service.version_in_force("hkmo_failure", tenant, on)
            result = await service.evaluate(version, facts, company(), [], application_date=on)
            amounts[code] = (result.amount_fen, failure.enabled, version.district_code, version.override)
        assert amounts["440781"] == (
            500_000,
            False,
            "440781",
            {"amount": {"per_year_cap": "5000"}, "caps": {"per_year": "5000"}},
        )
        assert amounts["440783"] == (600_000, True, "440783", None)
    finally:
        await tenancy.sync_directory(ROOT / "tenants")


async def test_a_bad_override_key_is_refused_with_file_line_and_key(programs: None, tmp_path: Path) -> None:
    folder = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", folder)
    heshan = folder / "440784-heshan.toml"
    heshan.write_text(
        heshan.read_text(encoding="utf-8")
        + '\n[programs.startup_hiring]\namount = { total_cap = "20000" }\n'
        + '\n[programs.startup_rent]\nper_year_cap = "5000"\n'
        + '\n[programs.startup_bonus]\namount = { amount = "1" }\n',
        encoding="utf-8",
    )
    with pytest.raises(tenancy.TenantFilesInvalid) as caught:
        await tenancy.sync_directory(folder)
    found = {(p.file, p.key): p for p in caught.value.problems}
    assert set(found) == {
        ("440784-heshan.toml", "programs.startup_rent.per_year_cap"),
        ("440784-heshan.toml", "programs.startup_bonus"),
    }
    lines = heshan.read_text(encoding="utf-8").splitlines()
    bad = found[("440784-heshan.toml", "programs.startup_rent.per_year_cap")]
    assert lines[bad.line - 1].startswith("per_year_cap") and bad.message == "unknown key"
    assert str(found[("440784-heshan.toml", "programs.startup_bonus")]).startswith("440784-heshan.toml:")


# ---------------------------------------------------------------- API


async def test_api_lists_programs_with_names_and_amounts_in_fen(programs: None, db: None) -> None:
    from renshe.web.app import create_app

    app = create_app()
    async with client(app) as http:
        anonymous = await http.get("/api/v1/programs")
        assert anonymous.status_code == 401
        headers = await api_headers("440703", Role.CLERK, language="en")
        listed = await http.get("/api/v1/programs", headers=headers, params={"on": "2025-06-01"})
        assert listed.status_code == 200, listed.text
        body = listed.json()
        items = {p["code"]: p for p in body["items"]}
        assert len(items) == 13 and body["on"] == "2025-06-01"  # the subsidies: no talent-card tier
        assert not any(code.startswith("talent_card") for code in items)
        once = items["startup_once"]
        assert (once["name_zh"], once["name_en"], once["name"]) == (
            "一次性创业资助",
            "One-off start-up grant",
            "One-off start-up grant",
        )
        assert once["in_force"]["amount"] == {"kind": "fixed", "amount_fen": 1_000_000}
        hiring = items["startup_hiring"]["in_force"]["amount"]
        assert hiring["tiers"] == [
            {"up_to": 3, "amount_fen": 200_000},
            {"up_to": None, "amount_fen": 300_000},
        ]
        assert hiring["total_cap_fen"] == 3_000_000
        assert items["hiring_once"]["in_force"]["amount"]["tiers"][0]["amount_fen"] == 150_000
        assert {
            "code": "lease_contract",
            "name_zh": "经营场所租赁合同",
            "name_en": "Lease of the business premises",
        } in items["startup_rent"]["in_force"]["required_documents"]
        hkmo = await http.get("/api/v1/programs", headers=headers, params={"family": "hkmo"})
        assert {p["code"] for p in hkmo.json()["items"]} == {c for c in items if c.startswith("hkmo_")}
        bad = await http.get("/api/v1/programs", headers=headers, params={"family": "pension"})
        assert bad.status_code == 422

        zh = await api_headers("440703", Role.REVIEWER)
        detail = await http.get("/api/v1/programs/hiring_once", headers=zh, params={"on": "2024-06-01"})
        assert detail.status_code == 200
        program = detail.json()
        assert program["name"] == "一次性吸纳就业补贴"
        assert program["in_force"]["amount"]["tiers"][0]["amount_fen"] == 100_000
        assert [v["effective_from"] for v in program["versions"]] == ["2024-01-01", "2025-01-01"]
        missing = await http.get("/api/v1/programs/no_such_program", headers=zh)
        assert missing.status_code == 404
        before = await http.get("/api/v1/programs/hkmo_living", headers=zh, params={"on": "2024-08-31"})
        assert before.json()["in_force"] is None


# ---------------------------------------------------------------- CLI


async def _renshe(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "renshe", *args, stdout=PIPE, stderr=PIPE, cwd=ROOT
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_cli_sync_and_list(programs: None) -> None:
    before = await _stored()
    for _ in range(2):
        code, out, err = await _renshe("programs", "sync")
        assert code == 0, err
        assert out.strip() == "unchanged: 16 programs"
    assert await _stored() == before
    code, out, err = await _renshe("programs", "list", "--on", "2025-03-01")
    assert code == 0, err
    lines = out.splitlines()
    tier_a = lines.index(next(line for line in lines if line.startswith("talent_card_a")))
    assert "card 5y" in lines[tier_a + 1]  # a tier grants a card, not an amount
    hiring = lines.index(next(line for line in lines if line.startswith("hiring_once")))
    assert lines[hiring + 1].lstrip().startswith("v1") and "2024-01-01…2024-12-31" in lines[hiring + 1]
    assert (
        lines[hiring + 2].lstrip().startswith("* v2")
        and "tiers=1500.00 total_cap=150000.00" in lines[hiring + 2]
    )
