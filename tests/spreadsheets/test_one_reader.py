"""Every spreadsheet the product reads goes through ``renshe.spreadsheets``: no other module of
the application parses CSV or XLSX itself (a new upload path that did would bypass the limits)."""

from __future__ import annotations

from pathlib import Path

import renshe

READERS = ("load_workbook", "csv.reader", "csv.DictReader", "csv.Sniffer", "WorkSheetParser", "iterparse")


def test_only_the_spreadsheets_package_parses_spreadsheets() -> None:
    root = Path(renshe.__file__).parent
    found = [
        f"{path.relative_to(root)}: {name}"
        for path in sorted(root.rglob("*.py"))
        if "spreadsheets" not in path.relative_to(root).parts
        for name in READERS
        if name in path.read_text(encoding="utf-8")
    ]
    assert found == []
