"""What the application pages share (申请页面公用): state labels, the caller, messages of the
services' errors in the user's language, the list filter from the query string, the facts
fields of a program (generated from its fact definitions) and their parsing.

Money facts are entered in yuan with two decimals and handed to the service in integer fen.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from renshe.errors import DomainError, NotFound
from renshe.i18n import current_locale, lazy
from renshe.i18n import gettext as _
from renshe.numbering import clean_number
from renshe.registry.forms import parse_day, text
from renshe.subsidies.applications.listing import Filter
from renshe.subsidies.applications.states import STATE_LABELS, STATES
from renshe.subsidies.programs.facts import FactSpec
from renshe.subsidies.programs.model import BeneficiaryKind, Message
from renshe.subsidies.programs.vocabulary import choice_label
from renshe.tenancy.toml_files import yuan_to_fen

RESOLUTION_LABELS = {"upheld": lazy("Upheld (award rejected)"), "dismissed": lazy("Dismissed")}
ENTER_YUAN = lazy("Enter an amount in yuan with at most two decimals.")
SORT_LABELS = {
    "newest": lazy("Newest first"),
    "oldest": lazy("Oldest first"),
    "amount": lazy("Largest amount"),
}
_FEN_SUFFIX = re.compile(r"\s*[((](分|fen)[))]\s*$")


def state_label(state: str | None) -> str:
    return _(STATE_LABELS[state]) if state in STATE_LABELS else (state or "")


def program_name(row: Mapping[str, Any]) -> str:
    return str(row["program_name_en"] if current_locale.get() == "en" else row["program_name_zh"])


def message_of(exc: DomainError) -> str:
    """A service's error in the user's language, its placeholders filled."""
    message = _(exc.message) if exc.message else _("You are not allowed to do this.")
    if exc.params:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            message = message % dict(exc.params)
    return message


def uuid_or_404(raw: str | None) -> UUID:
    try:
        return UUID(raw or "")
    except ValueError:
        raise NotFound() from None


def version_of(form: Any) -> int | None:
    """The version the page showed (optimistic locking); garbage counts as stale."""
    raw = text(form, "version")
    return int(raw) if raw.isdigit() else -1


def reasons(evaluation: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """An evaluation's reasons (and their alternatives), rendered again in the reader's language."""

    def render(item: Mapping[str, Any]) -> str:
        try:
            return Message(item["msgid"], item.get("params") or {}).render()
        except (KeyError, IndexError, ValueError, TypeError):
            return str(item.get("text") or item.get("msgid") or "")

    return [
        {"text": render(r), "children": [render(k) for k in r.get("children") or ()]}
        for r in (evaluation or {}).get("reasons") or []
    ]


# ---------------------------------------------------------------- list filter


def list_filter(q: Any) -> tuple[Filter, dict[str, str], str]:
    """(the filter, the parameters to keep across pages, the sort) from the query string."""
    state = q.get("state") if q.get("state") in STATES else None
    program = (q.get("program") or "").strip()[:64] or None
    f = Filter(
        state=state,
        program_code=program,
        reference=clean_number(q.get("ref")),
        date_from=parse_day(q.get("from")),
        date_to=parse_day(q.get("to")),
    )
    sort = q.get("sort") if q.get("sort") in SORT_LABELS else "newest"
    keep = {
        "state": f.state or "",
        "program": f.program_code or "",
        "ref": f.reference or "",
        "from": f.date_from.isoformat() if f.date_from else "",
        "to": f.date_to.isoformat() if f.date_to else "",
        "sort": sort if sort != "newest" else "",
    }
    return f, {k: v for k, v in keep.items() if v}, sort


# ---------------------------------------------------------------- facts fields


@dataclass(frozen=True, slots=True)
class FactField:
    """One input of the facts fieldset, generated from a program's fact definition."""

    name: str  # form field name: facts.<fact>
    label: str
    type: str  # int | money | bool | date | text | choice
    required: bool
    options: tuple[tuple[str, str], ...] = ()  # (code sent back, words shown) of a choice
    value: str = ""


def fact_label(spec: FactSpec) -> str:
    label = spec.label(current_locale.get())
    if spec.type == "money":  # entered in yuan on the form, whatever the definition says
        label = _FEN_SUFFIX.sub("", label) + _(" (yuan)")
    return label


def fact_fields(
    specs: tuple[FactSpec, ...], kind: BeneficiaryKind, values: Mapping[str, str]
) -> list[FactField]:
    return [
        FactField(
            f"facts.{s.name}",
            fact_label(s),
            s.type,
            s.required,
            tuple((c, choice_label(c)) for c in s.choices),
            values.get(f"facts.{s.name}", ""),
        )
        for s in specs
        if s.applies_to(kind)
    ]


def fact_values(form: Any) -> dict[str, str]:
    return {k: str(v).strip() for k, v in form.items() if k.startswith("facts.")}


def facts_for_service(
    specs: tuple[FactSpec, ...], values: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The facts as the service takes them (money in fen), and errors the form itself finds."""
    by_name = {s.name: s for s in specs}
    facts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, raw in values.items():
        name = key.removeprefix("facts.")
        spec = by_name.get(name)
        if raw == "":
            continue
        if spec is not None and spec.type == "money":
            try:
                facts[name] = yuan_to_fen(raw)
            except ValueError:
                errors[key] = _(ENTER_YUAN)
            continue
        if spec is not None and spec.type == "int" and raw.lstrip("-").isdigit():
            facts[name] = int(raw)  # stored typed, as the JSON API would send it
        elif spec is not None and spec.type == "bool" and raw in ("true", "false"):
            facts[name] = raw == "true"
        else:
            facts[name] = raw  # the service names what is wrong with it
    return facts, errors


def money_value(fen: Any) -> str:
    """A money fact shown back on a page: yuan with two decimals."""
    if isinstance(fen, int) and not isinstance(fen, bool):
        return f"{fen // 100}.{fen % 100:02d}"
    return str(fen)


def fact_rows(specs: tuple[FactSpec, ...], facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the facts an application was entered with, for the detail page."""
    by_name = {s.name: s for s in specs}
    out = []
    for name, value in facts.items():
        spec = by_name.get(name)
        if spec is None:
            out.append((name, str(value)))
        elif spec.type == "money":
            out.append((fact_label(spec), money_value(value)))
        elif spec.type == "bool":
            out.append((fact_label(spec), _("Yes") if value in (True, "true") else _("No")))
        elif spec.type == "choice":
            out.append((fact_label(spec), choice_label(str(value))))
        else:
            out.append((fact_label(spec), str(value)))
    return out


def application_day(form: Any) -> tuple[date | None, dict[str, str]]:
    raw = text(form, "application_date")
    if not raw:
        return None, {}
    day = parse_day(raw)
    return day, ({} if day else {"application_date": _("Enter a date as YYYY-MM-DD.")})
