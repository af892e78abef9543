"""Checking the ``[programs.CODE]`` tables of ``tenants/*.toml`` (district overrides) against
the catalogue, so ``renshe tenants sync`` refuses a bad override with its file, line and key
before anything is stored. Each override must hold for EVERY version of the program, since it
applies to whichever version is in force."""

from __future__ import annotations

from collections.abc import Iterable

from renshe.subsidies.programs.catalog import Catalogue, load_catalogue
from renshe.subsidies.programs.model import DefinitionError
from renshe.subsidies.programs.policy import apply_override
from renshe.tenancy.toml_files import Problem, UnitFile
from renshe.tenancy.toml_files import _Lines as Lines  # the tenancy package's key → line finder


def override_problems(
    programs: object, source: str, catalogue: Catalogue | None = None
) -> list[tuple[str, str]]:
    """``(dotted key, message)`` for each problem of one district's ``programs`` settings."""
    catalogue = catalogue or load_catalogue()
    if not isinstance(programs, dict):
        return [("programs", "must be tables [programs.CODE]")]
    found: list[tuple[str, str]] = []
    for code, override in programs.items():
        program = catalogue.programs.get(code)
        if program is None:
            found.append((f"programs.{code}", "no program has this code (see renshe programs list)"))
            continue
        if not isinstance(override, dict):
            found.append((f"programs.{code}", "must be a table"))
            continue
        for version in program.versions:
            try:
                apply_override(program.info, version.terms, override, source)
            except DefinitionError as exc:
                found.extend(p for p in exc.problems if p not in found)
    return found


def program_override_problems(units: Iterable[UnitFile]) -> list[Problem]:
    """Problems (file, line, key, message) of every unit file's ``[programs.CODE]`` tables."""
    problems: list[Problem] = []
    for unit in units:
        programs = unit.settings.get("programs")
        if programs is None:
            continue
        found = override_problems(programs, unit.path.name)
        if found:
            lines = Lines(unit.path.read_text(encoding="utf-8"))
            problems.extend(Problem(unit.path.name, lines.line(key), key, message) for key, message in found)
    return problems
