"""Program-specific facts (申请事项) entered with an application, with declared types.

A program version declares each fact it reads: its name, type, bounds and labels. Amount rules
and eligibility rules refer to facts by name, and a definition that reads an undeclared fact (or
one of the wrong type) is refused when the catalogue loads. ``validate_facts`` turns what a form
or a JSON body sent into typed values, or raises ``ValidationFailed`` naming each bad field as
``facts.<name>``.

Types: ``int`` (a count: hires, months, level), ``money`` (integer fen; the name ends in
``_fen``), ``bool``, ``date``, ``text``, ``choice`` (one of ``choices``), ``choices`` (any of
``choices``, e.g. a talent's qualifications; kept in the declared order, each once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from renshe.errors import ValidationFailed
from renshe.i18n import lazy
from renshe.subsidies.programs.model import BeneficiaryKind, Problems

FACT_TYPES = ("int", "money", "bool", "date", "text", "choice", "choices")
_KEYS = {"name", "type", "required", "min", "max", "choices", "beneficiary", "label_zh", "label_en"}

REQUIRED = lazy("This information is required.")
NOT_WHOLE_NUMBER = lazy("Enter a whole number.")
NOT_FEN = lazy("Enter the amount in fen as a whole number.")
NOT_DATE = lazy("Enter a date as YYYY-MM-DD.")
NOT_YES_NO = lazy("Choose yes or no.")
NOT_CHOICE = lazy("Choose a value from the list.")
NOT_CHOICES = lazy("Choose values from the list only.")
NOT_TEXT = lazy("Enter some text.")
TOO_SMALL = lazy("Enter a number of at least %(min)s.")
TOO_LARGE = lazy("Enter a number of at most %(max)s.")
UNKNOWN_FACT = lazy("This program does not use this information.")


@dataclass(frozen=True, slots=True)
class FactSpec:
    name: str
    type: str
    label_zh: str
    label_en: str
    required: bool = True
    min: int | None = None
    max: int | None = None
    choices: tuple[str, ...] = ()
    beneficiary: BeneficiaryKind | None = None  # None: asked of every kind of applicant

    def applies_to(self, kind: BeneficiaryKind) -> bool:
        return self.beneficiary is None or self.beneficiary == kind

    def label(self, locale: str) -> str:
        return self.label_en if locale == "en" else self.label_zh

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
        }
        if self.min is not None:
            data["min"] = self.min
        if self.max is not None:
            data["max"] = self.max
        if self.choices:
            data["choices"] = list(self.choices)
        if self.beneficiary is not None:
            data["beneficiary"] = self.beneficiary.value
        return data


def _bound(value: object, key: str, problems: Problems) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(key, "must be a whole number")
        return None
    return value


def parse_fact_specs(raw: object, where: str, problems: Problems) -> tuple[FactSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.add(where, "must be a list of fact tables [[...facts]]")
        return ()
    specs: list[FactSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        key = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.add(key, "must be a table")
            continue
        for unknown in sorted(set(item) - _KEYS):
            problems.add(f"{key}.{unknown}", "unknown key")
        name, kind = item.get("name"), item.get("type")
        if not isinstance(name, str) or not name.isidentifier() or name in seen:
            problems.add(f"{key}.name", "must be a unique identifier")
            continue
        seen.add(name)
        if kind not in FACT_TYPES:
            problems.add(f"{key}.type", f"must be one of {', '.join(FACT_TYPES)}")
            continue
        if (kind == "money") != name.endswith("_fen"):
            problems.add(f"{key}.name", "money facts, and only they, end in _fen")
        choices = item.get("choices", [])
        if kind in ("choice", "choices") and (
            not isinstance(choices, list) or not choices or not all(isinstance(c, str) for c in choices)
        ):
            problems.add(f"{key}.choices", f"a {kind} fact needs a list of choices")
            choices = []
        beneficiary = item.get("beneficiary")
        if beneficiary is not None and beneficiary not in BeneficiaryKind.__members__.values():
            problems.add(f"{key}.beneficiary", "must be person or enterprise")
            beneficiary = None
        labels = [item.get("label_zh"), item.get("label_en")]
        if not all(isinstance(v, str) and v for v in labels):
            problems.add(key, "label_zh and label_en are required")
        specs.append(
            FactSpec(
                name=name,
                type=kind,
                label_zh=str(labels[0] or name),
                label_en=str(labels[1] or name),
                required=bool(item.get("required", True)),
                min=_bound(item.get("min"), f"{key}.min", problems),
                max=_bound(item.get("max"), f"{key}.max", problems),
                choices=tuple(choices) if kind in ("choice", "choices") else (),
                beneficiary=BeneficiaryKind(beneficiary) if beneficiary else None,
            )
        )
    return tuple(specs)


def _integer(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _convert(spec: FactSpec, value: object) -> tuple[Any, str | None]:  # noqa: PLR0911 - one per type
    if spec.type in ("int", "money"):
        number = _integer(value)
        if number is None:
            return None, NOT_WHOLE_NUMBER if spec.type == "int" else NOT_FEN
        if spec.min is not None and number < spec.min:
            return None, TOO_SMALL
        if spec.max is not None and number > spec.max:
            return None, TOO_LARGE
        return number, None
    if spec.type == "bool":
        if isinstance(value, bool):
            return value, None
        if value in ("true", "on", "1", "yes"):
            return True, None
        if value in ("false", "off", "0", "no"):
            return False, None
        return None, NOT_YES_NO
    if spec.type == "date":
        if isinstance(value, date):
            return value, None
        try:
            return date.fromisoformat(str(value).strip()), None
        except ValueError:
            return None, NOT_DATE
    if spec.type == "choice":
        return (value, None) if value in spec.choices else (None, NOT_CHOICE)
    if spec.type == "choices":
        return _several(spec, value)
    if not isinstance(value, str) or not value.strip():
        return None, NOT_TEXT
    return value.strip(), None


def _several(spec: FactSpec, value: object) -> tuple[Any, str | None]:
    """A list (JSON, or a form's repeated field) or one comma-separated text."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(v, str) for v in items):
        return None, NOT_CHOICES
    chosen = {v.strip() for v in items if v.strip()}
    if not chosen <= set(spec.choices):
        return None, NOT_CHOICES
    return [c for c in spec.choices if c in chosen], None


def validate_facts(
    specs: tuple[FactSpec, ...], raw: Mapping[str, Any] | None, kind: BeneficiaryKind
) -> dict[str, Any]:
    """Typed facts for an applicant of ``kind``; ``ValidationFailed`` lists every bad field."""
    raw = raw or {}
    errors: dict[str, str] = {}
    facts: dict[str, Any] = {}
    known = {s.name: s for s in specs if s.applies_to(kind)}
    for name in raw:
        if name not in known:
            errors[f"facts.{name}"] = UNKNOWN_FACT
    for name, spec in known.items():
        value = raw.get(name)
        if value is None or value in ("", []):
            if spec.required:
                errors[f"facts.{name}"] = REQUIRED
            continue
        converted, error = _convert(spec, value)
        if error:
            errors[f"facts.{name}"] = error
        else:
            facts[name] = converted
    if errors:
        failed = ValidationFailed(errors)
        # the web layer fills %(min)s / %(max)s from these (renshe.web.errors)
        failed.field_params = {  # type: ignore[attr-defined]
            field: {"min": known[field[6:]].min, "max": known[field[6:]].max}
            for field, message in errors.items()
            if message in (TOO_SMALL, TOO_LARGE)
        }
        raise failed
    return facts
