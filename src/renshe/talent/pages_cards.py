"""人才卡页面 — the district's cards: the list (state filter, "expiring within 30 days", page sizes,
CSV/XLSX export, masked), the renewal reminders (续期提醒), and one card: its image, PNG and PDF
downloads, validity, issuances, the verify address, this year's benefit uses against their quotas
with a form to record one, and the lifecycle — revoke (吊销), report a loss (挂失补办, then the new
card), renew (续期, inside the renewal window).

Rendering the card runs in a pool process (:mod:`renshe.offload`), never on the event loop. A
refused action answers the card page at the refusal's status with the service's message.
"""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from renshe import clock, offload
from renshe.db.tenant import tenant_transaction
from renshe.errors import DomainError, NotFound, ValidationFailed
from renshe.i18n import gettext as _
from renshe.i18n import lazy
from renshe.registry.forms import failed, parse_day, text
from renshe.registry.pages_common import positive_int
from renshe.registry.service import Caller
from renshe.spreadsheets.writers import format_of
from renshe.talent import benefits, cards, listing, rendering
from renshe.talent.pages_cards_view import card_context
from renshe.talent.pages_common import (
    ACT,
    CLERK,
    ORIGIN_LABELS,
    READ,
    Req,
    audited_export,
    caller,
    card_state_label,
    common,
    district,
    export_file,
    refusal,
    tier_label,
)
from renshe.talent.states import CARD_STATE_LABELS, CARD_STATES
from renshe.web import flash
from renshe.web.query_values import PAGE_SIZES, page_size
from renshe.web.templating import format_datetime

DONE = {
    "revoked": lazy('The card is revoked: verifiers read "revoked" within a minute.'),
    "lost": lazy("The card is reported lost and a new card is issued: this is the new card."),
    "use": lazy("The benefit use is recorded."),
    "renewal": lazy("The renewal application is saved as a draft: confirm the employer and submit it."),
}
ENTER_DATE = lazy("Enter a date as YYYY-MM-DD.")
ENTER_MONTHS = lazy("Enter a whole number of months from 0 to 600.")
EXPORT_HEADERS = (
    lazy("Card number"), lazy("Card holder"), lazy("Tier"), lazy("State"), lazy("Valid from"),
    lazy("Valid until"), lazy("Issued as"), lazy("Issued at"),
)  # fmt: skip


def list_filter(q: Any) -> tuple[listing.CardFilter, dict[str, str]]:
    state = q.get("state") if q.get("state") in CARD_STATES else None
    expiring = q.get("expiring") == "1"
    keep = {"state": state or "", "expiring": "1" if expiring else ""}
    f = listing.CardFilter(state, None, listing.expiring_by(clock.today()) if expiring else None)
    return f, {k: v for k, v in keep.items() if v}


@get("/talent/cards", name="talent.cards", guards=[READ], include_in_schema=False)
async def card_list(request: Req) -> Template:
    c = caller(request)
    tenant_id = district(c)
    f, keep = list_filter(request.query_params)
    number = positive_int(request.query_params.get("page"))
    size = page_size(request.query_params.get("size"), listing.PAGE_SIZE)
    async with tenant_transaction(c.context()):
        found = await listing.cards_page(tenant_id, f, number, size)
    return Template(
        "talent/cards.html",
        context={
            **common(c), "page": found, "filters": keep, "page_sizes": PAGE_SIZES,
            "states": [(k, _(v)) for k, v in CARD_STATE_LABELS.items()],
            "expiring_days": listing.EXPIRING_DAYS,
        },
    )  # fmt: skip


def export_rows(rows: list[dict[str, Any]]) -> list[list[object]]:
    return [
        [
            r["card_no"], r["holder_masked"], tier_label(r["tier"]), card_state_label(r["state"]),
            r["valid_from"].isoformat(), r["valid_until"].isoformat(),
            _(ORIGIN_LABELS.get(r["origin"], r["origin"])), format_datetime(r["issued_at"]),
        ]
        for r in rows
    ]  # fmt: skip


@get("/talent/cards/export", name="talent.cards.export", guards=[READ], include_in_schema=False)
async def card_export(request: Req) -> Response[bytes]:
    """The filtered list as CSV or XLSX: holders masked as printed on the card."""
    c = caller(request)
    tenant_id = district(c)
    f, keep = list_filter(request.query_params)
    file_format = format_of(request.query_params.get("format"))
    async with tenant_transaction(c.context()):
        rows = await listing.all_cards(tenant_id, f)
        await audited_export(c, "talent_card_list", rows, file_format, filters=keep)
    return await export_file(request, EXPORT_HEADERS, export_rows(rows), _("Talent cards"), "talent-cards")


@get("/talent/reminders", name="talent.reminders", guards=[READ], include_in_schema=False)
async def reminders(request: Req) -> Template:
    """续期提醒: active cards the nightly sweep found inside their renewal window."""
    c = caller(request)
    rows = await cards.list_cards(c, renewal_due=True, limit=listing.EXPORT_LIMIT)
    rows.sort(key=lambda r: (r["valid_until"], r["card_no"]))
    return Template("talent/reminders.html", context={**common(c), "cards": rows, "today": clock.today()})


# ---------------------------------------------------------------- one card


def _file(content: bytes, media_type: str, name: str | None) -> Response[bytes]:
    disposition = f'attachment; filename="{name}"' if name else "inline"
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": disposition, "Cache-Control": "no-store"})  # fmt: skip


@get("/talent/cards/{card_no:str}", name="talent.card", guards=[READ], include_in_schema=False)
async def card_detail(request: Req, card_no: FromPath[str]) -> Template:
    return Template("talent/card.html", context=await card_context(caller(request), card_no))


@get("/talent/cards/{card_no:str}/card.png", name="talent.card.image", guards=[READ], include_in_schema=False)
async def card_image(request: Req, card_no: FromPath[str]) -> Response[bytes]:
    """The card's image for its page (inline), the holder's name masked like everywhere on a page;
    the downloads carry the name as printed."""
    face = await cards.face(caller(request), card_no)  # another district's: 404
    return _file(await offload.run(rendering.render_png, face), "image/png", None)


@get(
    "/talent/cards/{card_no:str}/download.png", name="talent.card.png", guards=[READ], include_in_schema=False
)
async def card_png(request: Req, card_no: FromPath[str]) -> Response[bytes]:
    face = await cards.face(caller(request), card_no, download="png")
    return _file(await offload.run(rendering.render_png, face), "image/png", f"{face.card_no}.png")


@get(
    "/talent/cards/{card_no:str}/download.pdf", name="talent.card.pdf", guards=[READ], include_in_schema=False
)
async def card_pdf(request: Req, card_no: FromPath[str]) -> Response[bytes]:
    face = await cards.face(caller(request), card_no, download="pdf")
    return _file(await offload.run(rendering.render_pdf, face), "application/pdf", f"{face.card_no}.pdf")


async def _exists(c: Caller, card_no: str) -> None:
    """Another district's (or no) card: the same 404 before anything else is looked at."""
    tenant_id = district(c)
    async with tenant_transaction(c.context()):
        await cards.load(tenant_id, card_no)


async def card_act(request: Req, card_no: str, action: Any, values: dict[str, str]) -> Template | Any:
    """Run one action; refused → the card page at the refusal's status with the service's
    message (and the field's error in place), nothing applied."""
    c = caller(request)
    await _exists(c, card_no)
    try:
        return await action(c)
    except NotFound:
        raise
    except ValidationFailed as exc:
        context = await card_context(c, card_no)
        context.update(errors=failed(exc), values=values, **refusal(exc))
        return Template("talent/card.html", context=context, status_code=exc.status_code)
    except DomainError as exc:
        context = await card_context(c, card_no)
        context.update(values=values, **refusal(exc))
        return Template("talent/card.html", context=context, status_code=exc.status_code)


@post("/talent/cards/{card_no:str}/revoke", name="talent.card.revoke", guards=[ACT], include_in_schema=False)
async def revoke(request: Req, card_no: FromPath[str]) -> Template | Redirect:
    form = await request.form()
    reason = text(form, "reason")
    answer = await card_act(
        request, card_no, lambda c: cards.revoke(c, card_no, reason), {"revoke_reason": reason}
    )
    if isinstance(answer, Template):
        return answer
    await flash.push(request, "success", DONE["revoked"])
    return Redirect(f"/talent/cards/{answer['card_no']}", status_code=303)


@post("/talent/cards/{card_no:str}/report-loss", name="talent.card.report_loss", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def report_loss(request: Req, card_no: FromPath[str]) -> Template | Redirect:
    form = await request.form()
    reason = text(form, "reason")
    answer = await card_act(
        request, card_no, lambda c: cards.report_loss(c, card_no, reason), {"loss_reason": reason}
    )
    if isinstance(answer, Template):
        return answer
    _lost, new = answer
    await flash.push(request, "success", DONE["lost"])
    return Redirect(f"/talent/cards/{new['card_no']}", status_code=303)


@post("/talent/cards/{card_no:str}/renew", name="talent.card.renew", guards=[CLERK], include_in_schema=False)
async def renew(request: Req, card_no: FromPath[str]) -> Template | Redirect:
    """A renewal application (draft) with what changed: a new contract end, more months."""
    form = await request.form()
    values = {k: text(form, k) for k in ("contract_end", "social_insurance_months", "comment")}
    await _exists(caller(request), card_no)
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if values["contract_end"]:
        day = parse_day(values["contract_end"])
        if day is None:
            errors["contract_end"] = _(ENTER_DATE)
        changes["contract_end"] = day
    months = values["social_insurance_months"]
    if months:
        if months.isascii() and months.isdigit() and int(months) <= 600:
            changes["social_insurance_months"] = int(months)
        else:
            errors["social_insurance_months"] = _(ENTER_MONTHS)
    if errors:
        context = await card_context(caller(request), card_no)
        context.update(errors=errors, values=values)
        return Template("talent/card.html", context=context, status_code=422)
    answer = await card_act(
        request, card_no, lambda c: cards.renew(c, card_no, values["comment"] or None, changes), values
    )
    if isinstance(answer, Template):
        return answer
    await flash.push(request, "success", DONE["renewal"])
    return Redirect(f"/talent/applications/{answer['id']}", status_code=303)


@post("/talent/cards/{card_no:str}/benefit-uses", name="talent.card.benefit_use", guards=[CLERK],
      include_in_schema=False)  # fmt: skip
async def record_benefit_use(request: Req, card_no: FromPath[str]) -> Template | Redirect:
    """A service point records one use; 409 with the message when the year's quota is used up."""
    form = await request.form()
    values = {k: text(form, k) for k in ("benefit", "place", "used_on")}
    await _exists(caller(request), card_no)
    day = parse_day(values["used_on"]) if values["used_on"] else clock.today()
    if day is None:
        context = await card_context(caller(request), card_no)
        context.update(errors={"used_on": _(ENTER_DATE)}, values=values)
        return Template("talent/card.html", context=context, status_code=422)
    answer = await card_act(
        request, card_no, lambda c: benefits.record_use(c, card_no, values["benefit"], day, values["place"]),
        values,
    )  # fmt: skip
    if isinstance(answer, Template):
        return answer
    await flash.push(request, "success", DONE["use"])
    return Redirect(f"/talent/cards/{cards.card_number(card_no)}", status_code=303)


ROUTES = [
    card_list, card_export, reminders, card_detail, card_image, card_png, card_pdf,
    revoke, report_loss, renew, record_benefit_use,
]  # fmt: skip
