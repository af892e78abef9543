"""Tenants as code: `renshe tenants sync` upserts, deactivates, and refuses bad files whole."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.tenancy import service
from renshe.tenancy.toml_files import read_directory, yuan_to_fen

ROOT = Path(__file__).resolve().parents[2]


def test_repository_tenants_are_valid_and_complete() -> None:
    units, problems = read_directory(ROOT / "tenants")
    assert problems == []
    codes = {u.code: u for u in units}
    assert set(codes) == {
        "440700",
        "440703",
        "440704",
        "440705",
        "440781",
        "440783",
        "440784",
        "440785",
    }
    assert codes["440700"].kind == "city"
    assert codes["440700"].settings["rollups"] == {"small_cell_threshold": 3}
    assert all(u.parent == "jiangmen" for c, u in codes.items() if c != "440700")
    assert codes["440703"].name_zh == "蓬江区"
    assert codes["440703"].settings["public_notice"] == {
        "days": 5,
        "working_days": True,
        "objection_address": "江门市蓬江区白沙大道西1号 蓬江区人力资源和社会保障局一楼服务大厅",
        "objection_phone": "0750-3506123",
        "objection_deadline": "17:30",
    }
    # every district tells the public where to object
    for unit in units:
        if unit.kind == "district":
            notice = unit.settings["public_notice"]
            assert notice["objection_address"] and notice["objection_phone"].startswith("0750-"), unit.code


def test_a_districts_objection_contact_is_required_and_checked(tmp_path: Path) -> None:
    folder = _copy_tenants(tmp_path)
    heshan, enping = folder / "440784-heshan.toml", folder / "440785-enping.toml"
    text = heshan.read_text(encoding="utf-8")
    heshan.write_text(
        text.replace('objection_phone = "0750-8881526"', 'objection_phone = "call us"').replace(
            'objection_deadline = "17:30"', 'objection_deadline = "25:00"'
        ),
        encoding="utf-8",
    )
    enping.write_text(
        "\n".join(line for line in enping.read_text(encoding="utf-8").splitlines()
                  if not line.startswith("objection_address")),
        encoding="utf-8",
    )  # fmt: skip
    _units, problems = read_directory(folder)
    found = {(p.file, p.key): p for p in problems}
    lines = heshan.read_text(encoding="utf-8").splitlines()
    phone = found[("440784-heshan.toml", "public_notice.objection_phone")]
    assert lines[phone.line - 1].startswith("objection_phone") and "0750-" in phone.message
    assert ("440784-heshan.toml", "public_notice.objection_deadline") in found
    missing = found[("440785-enping.toml", "public_notice")]
    assert "objection_address is required" in missing.message


def test_the_citys_small_cell_threshold_is_checked(tmp_path: Path) -> None:
    folder = _copy_tenants(tmp_path)
    city = folder / "440700-jiangmen.toml"
    city.write_text(
        city.read_text(encoding="utf-8").replace("small_cell_threshold = 3", "small_cell_threshold = 0"),
        encoding="utf-8",
    )
    _units, problems = read_directory(folder)
    found = {(p.file, p.key): p for p in problems}
    bad = found[("440700-jiangmen.toml", "rollups.small_cell_threshold")]
    assert "1 to 100" in bad.message
    assert city.read_text(encoding="utf-8").splitlines()[bad.line - 1].startswith("small_cell_threshold")


def test_yuan_amounts_become_integer_fen() -> None:
    assert yuan_to_fen("1234.50") == 123450
    assert yuan_to_fen(7) == 700
    for bad in (1.5, "1.234", "-3", "abc", True):
        with pytest.raises(ValueError):
            yuan_to_fen(bad)


def _copy_tenants(tmp_path: Path) -> Path:
    target = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", target)
    return target


async def _units_by_key() -> dict[str, dict]:
    async with tenant_transaction(TenantContext.none()):
        return {u["key"]: u for u in await service.all_units()}


async def test_invalid_files_report_every_problem_with_file_and_line_and_change_nothing(
    db: None, tmp_path: Path
) -> None:
    folder = _copy_tenants(tmp_path)
    before = await _units_by_key()
    heshan = folder / "440784-heshan.toml"
    heshan.write_text(
        heshan.read_text(encoding="utf-8")
        .replace('name_en = "Heshan"', 'name_en = "Heshan CHANGED"')  # a valid change...
        .replace("days = 5", "days = 500")
        .replace("[payer]", '[payer]\nswift = "ICBKCNBJ"')
        .replace('startup_once = "1600000.00"', "startup_once = 12.345")
        .replace('startup_once = "5600000.00"', "startup_once = 12.345"),
        encoding="utf-8",
    )
    (folder / "440785-enping.toml").write_text(
        (folder / "440785-enping.toml")
        .read_text(encoding="utf-8")
        .replace('code = "440785"', 'code = "44078"'),
        encoding="utf-8",
    )
    with pytest.raises(service.TenantFilesInvalid) as caught:
        await service.sync_directory(folder)
    found = {(p.file, p.key): p for p in caught.value.problems}
    heshan_lines = heshan.read_text(encoding="utf-8").splitlines()
    days = found[("440784-heshan.toml", "public_notice.days")]
    assert heshan_lines[days.line - 1].strip() == "days = 500"
    swift = found[("440784-heshan.toml", "payer.swift")]
    assert heshan_lines[swift.line - 1].startswith("swift")
    assert swift.message == "unknown key"
    amount = found[("440784-heshan.toml", "budgets.2026.startup_once")]
    assert heshan_lines[amount.line - 1].startswith("startup_once")
    code = found[("440785-enping.toml", "code")]
    assert "six-digit" in code.message
    assert str(code).startswith("440785-enping.toml:3: code:")
    # ...and the valid change in the same file was not applied either
    assert await _units_by_key() == before


async def test_syntax_error_names_file_and_line(db: None, tmp_path: Path) -> None:
    folder = _copy_tenants(tmp_path)
    (folder / "440704-jianghai.toml").write_text('key = "jianghai"\ncode = 440704 =\n', encoding="utf-8")
    with pytest.raises(service.TenantFilesInvalid) as caught:
        await service.sync_directory(folder)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line) == ("440704-jianghai.toml", 2)


async def test_sync_updates_and_deactivates_without_deleting(db: None, tmp_path: Path) -> None:
    folder = _copy_tenants(tmp_path)
    kaiping = folder / "440783-kaiping.toml"
    kaiping.write_text(
        kaiping.read_text(encoding="utf-8").replace('name_en = "Kaiping"', 'name_en = "Kaiping City"'),
        encoding="utf-8",
    )
    (folder / "440785-enping.toml").unlink()
    report = await service.sync_directory(folder)
    assert report.updated == ["kaiping"]
    assert report.deactivated == ["enping"]
    units = await _units_by_key()
    assert units["kaiping"]["name_en"] == "Kaiping City"
    assert units["enping"]["active"] is False  # still there, only inactive
    # the repository's files restore the original state; a second run changes nothing
    restored = await service.sync_directory(ROOT / "tenants")
    assert set(restored.updated) == {"kaiping", "enping"}
    again = await service.sync_directory(ROOT / "tenants")
    assert again.created == again.updated == again.deactivated == []
    assert (await _units_by_key())["enping"]["active"] is True


async def test_subtree_of_the_city_is_all_districts(db: None) -> None:
    async with tenant_transaction(TenantContext.none()):
        city = await service.org_unit_by_code("440700")
        district = await service.org_unit_by_code("440703")
        tree = await service.subtree_ids(city["id"])
        assert len(tree) == 8 and district["id"] in tree
        assert await service.subtree_ids(district["id"]) == frozenset({district["id"]})
