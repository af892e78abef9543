"""Reading and validating ``tenants/*.toml`` (tenants as code).

Every problem is reported with its file and line, all files are checked before anything is
applied, and one bad file means nothing changes.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

KINDS = ("province", "city", "district")
FILE_LAYOUTS = ("generic_csv", "xlsx", "icbc")
TOP_KEYS = {"key", "code", "kind", "parent", "name_zh", "name_en", "bureau_name_zh", "active",
            "payer", "public_notice", "budgets", "programs", "rollups"}  # fmt: skip
PAYER_KEYS = {"bank", "account_name", "account_number", "file_layout"}  # required strings
# optional: lines per bank file (the batch splits above it) and generic CSV's default encoding
PAYER_OPTIONAL = {"max_lines_per_file", "file_encoding"}
MAX_LINES_RANGE = (1, 100_000)
FILE_ENCODINGS = ("utf-8", "gbk")
NOTICE_KEYS = {"days", "working_days"}
# the public's contact for objections (异议受理), shown on the district's public notice page
OBJECTION_KEYS = ("objection_address", "objection_phone", "objection_deadline")
PHONE_RE = re.compile(r"^(0[0-9]{2,3}-[0-9]{7,8}(-[0-9]{1,5})?|[0-9]{5})$")  # 0750-3506123, 12333
TIME_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,62}$")
CODE_RE = re.compile(r"^[0-9]{6}$")
PROGRAM_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
ACCOUNT_RE = re.compile(r"^[0-9]{8,32}$")
_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.key}: {self.message}"


@dataclass(slots=True)
class UnitFile:
    """One org unit as its file declares it."""

    path: Path
    key: str
    code: str
    kind: str
    parent: str | None
    name_zh: str
    name_en: str
    active: bool
    settings: dict[str, Any] = field(default_factory=dict)


class _Lines:
    """Finds the line of a dotted key (``payer.bank``, ``budgets.2026.startup_once``)."""

    def __init__(self, text: str) -> None:
        self.where: dict[str, int] = {}
        table = ""
        for number, raw in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(raw)
            if header:
                table = ".".join(p.strip().strip("\"'") for p in header.group(1).split("."))
                self.where.setdefault(table, number)
                continue
            assign = _ASSIGN.match(raw)
            if assign:
                name = assign.group(1).strip("\"'")
                self.where.setdefault(f"{table}.{name}" if table else name, number)

    def line(self, dotted: str) -> int:
        while dotted:
            if dotted in self.where:
                return self.where[dotted]
            dotted = dotted.rpartition(".")[0]
        return 1


def yuan_to_fen(value: object) -> int:
    """``"1234.50"`` or ``1234`` yuan → 123450 fen. Floats are refused (they are not money)."""
    if isinstance(value, (bool, float)):
        raise ValueError('write the amount as a string such as "1234.50" or a whole number')
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, str):
        try:
            amount = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount in yuan") from None
    else:
        raise ValueError("expected an amount in yuan")
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError("must be a non-negative amount with at most two decimals")
    return int(amount * 100)


Bad = Callable[[str, str], None]


def _payer(payer: object, bad: Bad) -> dict[str, Any]:
    """[payer]: the district's paying bank account and its bank-file layout (代发账户)."""
    if not isinstance(payer, dict):
        bad("payer", "must be a table [payer]")
        return {}
    for k, v in payer.items():
        if k not in PAYER_KEYS | PAYER_OPTIONAL:
            bad(f"payer.{k}", "unknown key")
        elif k in PAYER_KEYS and (not isinstance(v, str) or not v.strip()):
            bad(f"payer.{k}", "must be a non-empty string")
    for k in sorted(PAYER_KEYS - payer.keys()):
        bad("payer", f"payer.{k} is required")
    account = payer.get("account_number")
    if isinstance(account, str) and not ACCOUNT_RE.match(account):
        bad("payer.account_number", "must be 8 to 32 digits")
    if payer.get("file_layout") not in (None, *FILE_LAYOUTS):
        bad("payer.file_layout", f"must be one of {', '.join(FILE_LAYOUTS)}")
    low, high = MAX_LINES_RANGE
    lines = payer.get("max_lines_per_file", low)  # absent: the default, nothing to check
    if isinstance(lines, bool) or not isinstance(lines, int) or not low <= lines <= high:
        bad("payer.max_lines_per_file", f"must be a whole number of lines from {low} to {high}")
    if payer.get("file_encoding") not in (None, *FILE_ENCODINGS):
        bad("payer.file_encoding", f"must be one of {', '.join(FILE_ENCODINGS)}")
    return payer


def _rollups(table: object, bad: Bad) -> dict[str, int]:
    """[rollups]: the city's small-cell threshold — counts of people under it leave the bureau
    as "<N" (小数抑制) in its monthly report."""
    if not isinstance(table, dict) or set(table) - {"small_cell_threshold"}:
        bad("rollups", "must be a table with small_cell_threshold only")
        return {}
    if "small_cell_threshold" not in table:
        return {}
    value = table["small_cell_threshold"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        bad("rollups.small_cell_threshold", "must be a whole number from 1 to 100")
        return {}
    return {"small_cell_threshold": value}


def _public_notice(notice: object, bad: Bad, *, district: bool) -> dict[str, Any]:
    """[public_notice]: the 公示 period, in days or working days, and (for a district, required)
    where the public objects: an address, a phone number, the time of day objections close on
    the last day of the notice period."""
    if not isinstance(notice, dict):
        bad("public_notice", "must be a table [public_notice]")
        return {}
    for k in notice:
        if k not in NOTICE_KEYS and k not in OBJECTION_KEYS:
            bad(f"public_notice.{k}", "unknown key")
    days = notice.get("days", 5)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
        bad("public_notice.days", "must be a whole number of days from 1 to 60")
    working = notice.get("working_days", True)
    if not isinstance(working, bool):
        bad("public_notice.working_days", "must be true or false")
    out: dict[str, Any] = {"days": days, "working_days": working}
    checks = {
        "objection_address": (None, "must be the office's street address"),
        "objection_phone": (PHONE_RE, "must be a phone number such as 0750-3506123 (area code, hyphen)"),
        "objection_deadline": (TIME_RE, 'must be a time of day such as "17:30"'),
    }
    for key, (pattern, message) in checks.items():
        value = notice.get(key)
        if value is None:
            if district:
                bad("public_notice", f"public_notice.{key} is required for a district")
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > 200:
            bad(f"public_notice.{key}", "must be a non-empty string of at most 200 characters")
        elif pattern is not None and not pattern.match(value.strip()):
            bad(f"public_notice.{key}", message)
        else:
            out[key] = value.strip()
    return out


def _budgets(budgets: object, bad: Bad) -> dict[str, dict[str, int]]:
    """[budgets.YEAR]: program code = yuan, stored as integer fen."""
    fen: dict[str, dict[str, int]] = {}
    if not isinstance(budgets, dict):
        bad("budgets", "must be tables [budgets.YEAR]")
        return fen
    for year, programs in budgets.items():
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            bad(f"budgets.{year}", "the table name must be a year such as [budgets.2026]")
            continue
        if not isinstance(programs, dict):
            bad(f"budgets.{year}", "must be a table of program = amount")
            continue
        for program, amount in programs.items():
            if not PROGRAM_RE.match(program):
                bad(f"budgets.{year}.{program}", "is not a program code")
                continue
            try:
                fen.setdefault(year, {})[program] = yuan_to_fen(amount)
            except ValueError as exc:
                bad(f"budgets.{year}.{program}", str(exc))
    return fen


def _optional_tables(data: dict[str, Any], bad: Bad) -> dict[str, Any]:
    """The budgets, program overrides and rollup settings a file may have."""
    settings: dict[str, Any] = {}
    if "budgets" in data:
        settings["budgets_fen"] = _budgets(data["budgets"], bad)
    if "rollups" in data:
        settings["rollups"] = _rollups(data["rollups"], bad)
    programs_override = data.get("programs")
    if programs_override is not None:
        if not isinstance(programs_override, dict) or not all(
            isinstance(v, dict) for v in programs_override.values()
        ):
            bad("programs", "must be tables [programs.CODE]")
        else:
            settings["programs"] = programs_override
    return settings


def read_unit_file(path: Path, problems: list[Problem]) -> UnitFile | None:
    name = path.name
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        problems.append(Problem(name, int(match.group(1)) if match else 1, "(syntax)", str(exc)))
        return None
    lines = _Lines(text)
    before = len(problems)

    def bad(dotted: str, message: str) -> None:
        problems.append(Problem(name, lines.line(dotted), dotted, message))

    for key in data:
        if key not in TOP_KEYS:
            bad(key, "unknown key")

    def text_value(key: str, required: bool = True) -> str:
        value = data.get(key)
        if value is None:
            if required:
                problems.append(Problem(name, 1, key, "is required"))
            return ""
        if not isinstance(value, str) or not value.strip():
            bad(key, "must be a non-empty string")
            return ""
        return value.strip()

    key = text_value("key")
    if key and not KEY_RE.match(key):
        bad("key", "must be lower-case letters, digits, '-' or '_' (2–63), starting with a letter")
    code = text_value("code")
    if code and not CODE_RE.match(code):
        bad("code", "must be a six-digit administrative division code (GB/T 2260)")
    kind = text_value("kind")
    if kind and kind not in KINDS:
        bad("kind", f"must be one of {', '.join(KINDS)}")
    parent = text_value("parent", required=kind == "district") or None
    name_zh = text_value("name_zh")
    name_en = text_value("name_en")
    active = data.get("active", True)
    if not isinstance(active, bool):
        bad("active", "must be true or false")
        active = True

    settings: dict[str, Any] = {}
    if "bureau_name_zh" in data:
        settings["bureau_name_zh"] = text_value("bureau_name_zh")

    payer = data.get("payer")
    if payer is not None:
        settings["payer"] = _payer(payer, bad)
    elif kind == "district":
        problems.append(Problem(name, 1, "payer", "a district needs a [payer] table"))
    if "public_notice" in data or kind == "district":
        notice = data.get("public_notice", {})
        settings["public_notice"] = _public_notice(notice, bad, district=kind == "district")
    settings |= _optional_tables(data, bad)

    if len(problems) > before:
        return None
    return UnitFile(path, key, code, kind, parent, name_zh, name_en, active, settings)


def read_directory(directory: Path) -> tuple[list[UnitFile], list[Problem]]:
    """Read every ``*.toml`` in ``directory``; check keys, codes and the tree across files."""
    problems: list[Problem] = []
    files = sorted(directory.glob("*.toml"))
    if not files:
        problems.append(Problem(str(directory), 0, "(directory)", "no *.toml files found"))
    units = [u for p in files if (u := read_unit_file(p, problems)) is not None]
    by_key: dict[str, UnitFile] = {}
    codes: dict[str, UnitFile] = {}
    for unit in units:
        if unit.key in by_key:
            problems.append(
                Problem(
                    unit.path.name,
                    1,
                    "key",
                    f"{unit.key!r} is also used by {by_key[unit.key].path.name}",
                )
            )
        by_key.setdefault(unit.key, unit)
        if unit.code in codes:
            problems.append(
                Problem(
                    unit.path.name,
                    1,
                    "code",
                    f"{unit.code} is also used by {codes[unit.code].path.name}",
                )
            )
        codes.setdefault(unit.code, unit)
    for unit in units:
        if unit.parent is None:
            continue
        parent = by_key.get(unit.parent)
        lines = _Lines(unit.path.read_text(encoding="utf-8"))
        if parent is None:
            problems.append(
                Problem(
                    unit.path.name,
                    lines.line("parent"),
                    "parent",
                    f"no org unit has key {unit.parent!r}",
                )
            )
        elif (unit.kind, parent.kind) not in {("district", "city"), ("city", "province")}:
            problems.append(
                Problem(
                    unit.path.name,
                    lines.line("parent"),
                    "parent",
                    f"a {unit.kind} cannot sit under a {parent.kind}",
                )
            )
    return units, problems
