"""What the talent-card pages share (人才卡页面公用): the guards, the caller, the labels of states,
tiers, kinds and qualifications in the user's language, the evidence shown back as rows, the
reasons of an evaluation per tier, a service's refusal as the page's message, and the audited,
masked CSV/XLSX exports of the lists.

District roles only: city roles never see a person's card (their figures come later), and
another district's application or card answers the same 404 as a missing one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from litestar import Request
from litestar.response import Response

from renshe.accounts.guards import requires_roles
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.errors import DomainError
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.forms import text
from renshe.registry.pages_common import download
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import format_of, render_off_loop
from renshe.subsidies.applications.pages_forms import reasons
from renshe.subsidies.programs.vocabulary import choice_label
from renshe.talent import applications, tiers
from renshe.talent.api import caller
from renshe.talent.states import APPLICATION_STATE_LABELS, CARD_STATE_LABELS

__all__ = ["caller"]

Req = Request[Any, Any, Any]
READ = requires_roles(*applications.READERS)
ACT = requires_roles(Role.CLERK, Role.REVIEWER)
CLERK = requires_roles(Role.CLERK)
REVIEWER = requires_roles(Role.REVIEWER)

TIER_LABELS = {"A": lazy("Tier A"), "B": lazy("Tier B"), "C": lazy("Tier C")}
KIND_LABELS = {"new": lazy("First application"), "renewal": lazy("Renewal"), "reissue": lazy("Reissue")}
ORIGIN_LABELS = {
    "new": lazy("First issue"),
    "renewal": lazy("Renewal"),
    "reissue": lazy("Reissued after a loss"),
}


def tier_label(tier: str | None) -> str:
    return _(TIER_LABELS[tier]) if tier in TIER_LABELS else (tier or "")


def application_state_label(state: str | None) -> str:
    return _(APPLICATION_STATE_LABELS[state]) if state in APPLICATION_STATE_LABELS else (state or "")


def card_state_label(state: str | None) -> str:
    return _(CARD_STATE_LABELS[state]) if state in CARD_STATE_LABELS else (state or "")


def common(c: Caller) -> dict[str, Any]:
    p = c.principal
    return {
        "tier_label": tier_label,
        "app_state_label": application_state_label,
        "card_state_label": card_state_label,
        "kind_label": lambda k: _(KIND_LABELS[k]) if k in KIND_LABELS else k,
        "origin_label": lambda k: _(ORIGIN_LABELS[k]) if k in ORIGIN_LABELS else k,
        "is_clerk": p.is_district and p.has(Role.CLERK),
        "is_reviewer": p.is_district and p.has(Role.REVIEWER),
        "errors": {},
        "values": {},
    }


def district(c: Caller) -> UUID:
    """The caller's district (403 for anyone else: the guards let only district roles in)."""
    return applications.reading_district(c)


def message_of(exc: DomainError) -> str:
    """A service's error in the user's language, its placeholders filled."""
    message = _(exc.message) if exc.message else _("You are not allowed to do this.")
    if exc.params:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            message = message % dict(exc.params)
    return message


def refusal(exc: DomainError) -> dict[str, Any]:
    """The context of a refused action: the service's message in the layout's message area, for
    this answer only (nothing is queued: neither the next page nor a reload repeats it)."""
    return {"flashes": [("danger", message_of(exc))]}


def version_of(form: Any) -> int:
    """The version the page showed (optimistic locking); garbage counts as stale."""
    raw = text(form, "version")
    return int(raw) if raw.isdigit() else -1


def money_text(fen: Any) -> str:
    if isinstance(fen, int) and not isinstance(fen, bool):
        return f"{fen // 100}.{fen % 100:02d}"
    return ""


def fact_rows(facts: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of the evidence an application was entered with."""
    rows = [
        (
            _("Qualifications"),
            "、".join(choice_label(str(q)) for q in facts.get("qualifications") or ()) or "—",
        ),
        (_("Months of social insurance in the city"), str(facts.get("social_insurance_months", "—"))),
        (_("Annual salary (yuan)"), money_text(facts.get("annual_salary_fen")) or "—"),
        (_("Civil servant"), _("Yes") if facts.get("civil_servant") else _("No")),
    ]
    return rows


def tier_rows(evaluation: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Each tier of an evaluation: met or not, and every reason it is not, in the reader's words."""
    judged = (evaluation or {}).get("tiers") or {}
    out = []
    for tier in tiers.TIERS:
        one = judged.get(tier)
        if one is None:
            continue
        out.append({
            "tier": tier, "eligible": bool(one.get("eligible")),
            "reasons": reasons({"reasons": one.get("reasons")}), "validity_years": one.get("validity_years"),
        })  # fmt: skip
    return out


async def audited_export(c: Caller, kind: str, rows: list[Any], file_format: str, **extra: Any) -> None:
    """Every export leaves an audit record (what list, how many rows), masked as the file is."""
    await audit.record(
        c.principal.org_unit.id, c.actor, f"{kind}.exported", object_type=kind,
        after={"rows": len(rows), "format": file_format, **extra},
    )  # fmt: skip


async def export_file(
    request: Req, headers: tuple[str, ...], rows: list[list[object]], title: str, stem: str
) -> Response[bytes]:
    """The rows as CSV or XLSX, written in a pool process (never on the event loop)."""
    file_format = format_of(request.query_params.get("format"))
    content = await render_off_loop(file_format, [_(h) for h in headers], rows, title)
    return download(content, file_format, stem)
