"""The seed catalogue (``seed_programs.toml``): the city's programs and their dated versions as
data, and the vocabularies the versions share — document types (``[documents]``) and the values
of choice facts (``[choices]``), each code with its name in Chinese and English. The
vocabularies are not versioned: a code means the same in every version, and renaming it does not
make a new version. ``load_catalogue()`` reads and checks it (every problem at once, with its
dotted key); ``renshe programs sync`` stores the programs in ``programs`` / ``program_versions``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from renshe.subsidies.programs import reading as rd
from renshe.subsidies.programs.model import Problems
from renshe.subsidies.programs.policy import ProgramInfo, VersionDefinition, parse_program, parse_version

SEED_FILE = "seed_programs.toml"


@dataclass(frozen=True, slots=True)
class CatalogProgram:
    info: ProgramInfo
    versions: tuple[VersionDefinition, ...]  # ordered by effective_from


@dataclass(frozen=True, slots=True)
class Catalogue:
    programs: Mapping[str, CatalogProgram]
    documents: Mapping[str, Mapping[str, str]]  # code → {"name_zh", "name_en"}
    choices: Mapping[str, Mapping[str, str]]  # the same, per value of a choice fact

    def program(self, code: str) -> CatalogProgram:
        return self.programs[code]


def _cross_checks(
    programs: Mapping[str, CatalogProgram], choices: Mapping[str, object], problems: Problems
) -> None:
    for code, program in programs.items():
        for i, version in enumerate(program.versions):
            where = f"programs.{code}.versions[{i}]"
            terms = version.terms
            for fact in terms.facts:
                for value in fact.choices:
                    if value not in choices:  # it would reach a page as a bare code
                        problems.add(
                            f"{where}.facts.{fact.name}.choices", f"{value!r} is not in the [choices] table"
                        )
            for other in terms.caps.programs:
                if other not in programs:
                    problems.add(f"{where}.caps.programs", f"{other!r} is not a program code")
            for other in terms.eligibility.once_codes():
                if other not in programs:
                    problems.add(f"{where}.eligibility.once_per_lifetime", f"{other!r} is not a program code")
        starts = [v.effective_from for v in program.versions]
        if len(set(starts)) != len(starts):
            problems.add(f"programs.{code}.versions", "two versions start on the same day")


def _vocabulary(data: Mapping[str, Any], key: str, problems: Problems) -> dict[str, dict[str, str]]:
    """``[key]``: code → ``{"name_zh", "name_en"}``, both required."""
    out: dict[str, dict[str, str]] = {}
    for code, names in rd.table(data.get(key, {}), key, problems).items():
        table = rd.table(names, f"{key}.{code}", problems)
        rd.unknown_keys(table, {"name_zh", "name_en"}, f"{key}.{code}", problems)
        out[code] = {
            k: rd.text(table, k, f"{key}.{code}", problems, required=True) for k in ("name_zh", "name_en")
        }
    return out


def parse_catalogue(data: Mapping[str, Any], source: str = SEED_FILE) -> Catalogue:
    problems = Problems()
    rd.unknown_keys(data, {"documents", "choices", "programs"}, "(top)", problems)
    documents = _vocabulary(data, "documents", problems)
    choices = _vocabulary(data, "choices", problems)
    programs: dict[str, CatalogProgram] = {}
    raw_programs = data.get("programs")
    if not isinstance(raw_programs, list) or not raw_programs:
        problems.add("programs", "needs at least one [[programs]] table")
        raw_programs = []
    for i, raw in enumerate(raw_programs):
        where = f"programs[{i}]"
        table = rd.table(raw, where, problems)
        rd.unknown_keys(
            table,
            {"code", "family", "name_zh", "name_en", "beneficiary", "status", "sort_order", "versions"},
            where,
            problems,
        )
        info = parse_program(table, where, problems)
        if info is None:
            continue
        if info.code in programs:
            problems.add(f"{where}.code", f"{info.code!r} is defined twice")
            continue
        raw_versions = table.get("versions")
        if not isinstance(raw_versions, list) or not raw_versions:
            problems.add(f"programs.{info.code}.versions", "needs at least one [[programs.versions]]")
            continue
        versions = [
            parse_version(v, info, f"programs.{info.code}.versions[{j}]", problems, set(documents))
            for j, v in enumerate(raw_versions)
        ]
        programs[info.code] = CatalogProgram(
            info, tuple(sorted((v for v in versions if v), key=lambda v: v.effective_from))
        )
    _cross_checks(programs, choices, problems)
    problems.raise_if_any(source)
    return Catalogue(programs, documents, choices)


def read_catalogue(path: Path) -> Catalogue:
    with path.open("rb") as fh:
        return parse_catalogue(tomllib.load(fh), path.name)


@cache
def load_catalogue() -> Catalogue:
    """The seed catalogue shipped in this package (cached; it cannot change while running)."""
    text = resources.files("renshe.subsidies.programs").joinpath(SEED_FILE).read_text("utf-8")
    return parse_catalogue(tomllib.loads(text), SEED_FILE)
