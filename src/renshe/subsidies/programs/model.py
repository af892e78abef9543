"""The vocabulary of programs (补贴项目): translated messages with parameters, the entitlement a
rule computes, who applies (``Beneficiary``) and what they received before (``PriorAward``).

Everything here is plain data with no database: evaluation is pure apart from the city-wide
"already received?" question, which is passed in as a callable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from uuid import UUID

from renshe.i18n import current_locale, gettext
from renshe.subsidies.programs.money import format_fen

if TYPE_CHECKING:
    from renshe.subsidies.programs.caps import CapStatus

EMPTY: Mapping[str, Any] = MappingProxyType({})


class BeneficiaryKind(StrEnum):
    PERSON = "person"  # 个人
    ENTERPRISE = "enterprise"  # 企业


class DefinitionError(ValueError):
    """A program definition (seed file, stored version or district override) is invalid.

    ``problems`` are ``(dotted key, message)`` pairs in English for operators; ``source`` names
    the file (e.g. ``440703-pengjiang.toml`` or ``seed_programs.toml``)."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {key}: {message}" for key, message in problems))


class Problems:
    """Collects ``(dotted key, message)`` pairs while a definition is parsed."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, key: str, message: str) -> None:
        self.items.append((key, message))

    def raise_if_any(self, source: str) -> None:
        if self.items:
            raise DefinitionError(source, list(self.items))


@dataclass(frozen=True, slots=True)
class Label:
    """A msgid used as a parameter (a residency, a document type): translated when shown."""

    msgid: str

    def render(self) -> str:
        return gettext(self.msgid)


@dataclass(frozen=True, slots=True)
class ChoiceName:
    """A value of a choice fact used as a parameter: shown in the vocabulary's words."""

    code: str

    def render(self) -> str:
        from renshe.subsidies.programs.vocabulary import choice_label  # the catalogue imports us

        return choice_label(self.code)


@dataclass(frozen=True, slots=True)
class Text:
    """A name written in the policy data in both languages (a fact's label, an area)."""

    zh: str
    en: str

    def render(self) -> str:
        return self.en if current_locale.get() == "en" else self.zh


def _param(value: Any) -> Any:
    """A parameter as shown: money in yuan, dates ISO, labels translated, lists joined."""
    if isinstance(value, Label | Text | ChoiceName):
        return value.render()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return ("、" if current_locale.get() != "en" else ", ").join(str(_param(v)) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class Message:
    """An English msgid and its parameters, translated only when shown.

    A parameter whose name ends in ``_fen`` is money: the msgid refers to it without the suffix
    (``{amount}`` for ``amount_fen``) and it is shown as yuan. ``children`` nest reasons (the
    alternatives of an "any of" rule)."""

    msgid: str
    params: Mapping[str, Any] = field(default_factory=lambda: EMPTY)
    children: tuple[Message, ...] = ()

    def render(self) -> str:
        values: dict[str, Any] = {}
        for key, value in self.params.items():
            if key.endswith("_fen") and isinstance(value, int):
                values[key.removesuffix("_fen")] = format_fen(value)
            else:
                values[key] = _param(value)
        return gettext(self.msgid).format(**values)

    def to_json(self) -> dict[str, Any]:
        """``{"msgid", "params", "text", "children"?}`` (text in the current locale)."""
        out: dict[str, Any] = {
            "msgid": self.msgid,
            "params": {
                k: (v if isinstance(v, int | str | None) else _param(v)) for k, v in self.params.items()
            },
            "text": self.render(),
        }
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out


def msg(msgid: str, /, **params: Any) -> Message:
    return Message(msgid, MappingProxyType(params))


@dataclass(frozen=True, slots=True)
class Entitlement:
    """What an amount rule grants before the beneficiary's caps: ``amount_fen``, the breakdown
    lines that explain it, and the name of the rule's own maximum that reduced it (None when no
    maximum bit). A maximum only ever lowers the amount; it never raises it."""

    amount_fen: int
    lines: tuple[Message, ...] = ()
    capped_by: str | None = None


@dataclass(frozen=True, slots=True)
class Beneficiary:
    """The applicant as the registry knows it (受益人). People carry birth date, sex, residency,
    document types and graduation date; enterprises their registration date and district."""

    kind: BeneficiaryKind
    id: UUID | None = None
    birth_date: date | None = None
    sex: str | None = None  # "male" | "female"
    residency: str | None = None
    document_types: frozenset[str] = frozenset()
    graduated_on: date | None = None
    registered_on: date | None = None
    registered_district: str | None = None  # 6-digit division code

    @classmethod
    def person(cls, **values: Any) -> Beneficiary:
        return cls(BeneficiaryKind.PERSON, **values)

    @classmethod
    def enterprise(cls, **values: Any) -> Beneficiary:
        return cls(BeneficiaryKind.ENTERPRISE, **values)


@dataclass(frozen=True, slots=True)
class PriorAward:
    """One award the beneficiary already holds (approved or paid, not rejected or cancelled)."""

    program_code: str
    amount_fen: int
    awarded_on: date


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The answer for one application: eligible or not with ALL the reasons, the rule's
    entitlement, the amount after the beneficiary's caps, and what each cap leaves."""

    program_code: str
    version_id: UUID | None
    version: int
    eligible: bool
    reasons: tuple[Message, ...]
    entitlement: Entitlement
    amount_fen: int  # 0 when not eligible
    capped_by: tuple[str, ...]  # rule maximum and/or beneficiary caps that lowered the amount
    caps: tuple[CapStatus, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "program_code": self.program_code,
            "version_id": str(self.version_id) if self.version_id else None,
            "version": self.version,
            "eligible": self.eligible,
            "reasons": [r.to_json() for r in self.reasons],
            "entitlement_fen": self.entitlement.amount_fen,
            "breakdown": [line.to_json() for line in self.entitlement.lines],
            "amount_fen": self.amount_fen,
            "capped_by": list(self.capped_by),
            "caps": [c.to_json() for c in self.caps],
        }
