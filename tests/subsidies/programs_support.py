"""Helpers for the program tests: the seed catalogue's versions as policy versions (no
database), and applicants."""

from __future__ import annotations

from datetime import date
from typing import Any

from renshe.subsidies.programs.catalog import load_catalogue
from renshe.subsidies.programs.model import Beneficiary
from renshe.subsidies.programs.policy import PolicyVersion, apply_override, select_version


def seed_version(
    code: str, on: date = date(2025, 6, 1), override: dict[str, Any] | None = None
) -> PolicyVersion:
    """The seed version of ``code`` in force on ``on`` (as a district would see it with
    ``override``), without touching the database."""
    program = load_catalogue().program(code)
    index = select_version([(n, v) for n, v in enumerate(program.versions, start=1)], on)
    assert index is not None, f"no version of {code} on {on}"
    chosen = program.versions[index]
    terms = chosen.terms
    if override:
        terms = apply_override(program.info, terms, override, "test.toml")
    return PolicyVersion(
        program.info,
        None,
        index + 1,
        chosen.effective_from,
        chosen.effective_to,
        terms,
        override=override,
        enabled=not (override or {}).get("disabled", False),
    )


def graduate(**values: Any) -> Beneficiary:
    base: dict[str, Any] = {
        "birth_date": date(1999, 5, 1),
        "sex": "female",
        "residency": "mainland",
        "document_types": frozenset({"prc_id"}),
        "graduated_on": date(2022, 6, 30),
    }
    base.update(values)
    return Beneficiary.person(**base)


def company(**values: Any) -> Beneficiary:
    base: dict[str, Any] = {"registered_on": date(2023, 3, 1), "registered_district": "440703"}
    base.update(values)
    return Beneficiary.enterprise(**base)
