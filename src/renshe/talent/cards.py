"""Cards (人才卡): reading them, and what happens to one after it is issued — revocation (吊销)
with a reason, a reported loss (挂失) that revokes it and reissues the same tier under a new
number linked to the old one, and a renewal (续期) request inside the renewal window.

A change that sets a card's bit in the district's status list marks the list as changed in the
same transaction and enqueues ``talent.publish_status`` after the commit (the scheduler's minute
sweep catches a lost message).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock, text_rules
from renshe.accounts.principal import Role
from renshe.audit import service as audit
from renshe.db.tenant import current_transaction, tenant_transaction
from renshe.errors import Conflict, NotFound, ValidationFailed
from renshe.i18n import lazy
from renshe.jobs import service as jobs
from renshe.registry.service import Caller
from renshe.settings import get_settings
from renshe.talent import application_store, applications, issuance, rendering, signing_keys, tiers
from renshe.talent.card_numbers import CardNumberInvalid, parse_card_number

PUBLISH = "talent.publish_status"
NO_CARD = lazy("No such talent card.")
BAD_CHECK = lazy("This is not a valid card number: check the digits and the last character.")
NOT_ACTIVE = lazy("This card is no longer active.")
REASON_REQUIRED = lazy("Give a reason.")
RENEWAL_NOT_OPEN = lazy("Renewal opens on %(date)s, %(days)s days before the card expires.")
RENEWAL_PENDING = lazy("A renewal of this card is already under way.")


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


def card_number(raw: str) -> str:
    """The canonical number, or 422 naming ``card_no`` (a typo, a wrong check character)."""
    try:
        return str(parse_card_number(raw))
    except CardNumberInvalid:
        raise ValidationFailed({"card_no": BAD_CHECK}) from None


async def load(tenant_id: UUID, card_no: str, *, lock: bool = False) -> dict[str, Any]:
    row = await _conn().fetchrow(
        f"SELECT * FROM talent_cards WHERE tenant_id = $1 AND card_no = $2 {'FOR UPDATE' if lock else ''}",
        tenant_id,
        card_number(card_no),
    )
    if row is None:
        raise NotFound(NO_CARD)
    return dict(row)


async def get(caller: Caller, card_no: str) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """One card of the caller's district, its issuances and the person's name for printing."""
    tenant_id = applications.reading_district(caller)
    async with tenant_transaction(caller.context()):
        card = await load(tenant_id, card_no)
        issuances = await _conn().fetch(
            """SELECT kind, valid_from, valid_until, kid, issued_at FROM talent_card_issuances
               WHERE tenant_id = $1 AND card_id = $2 ORDER BY issued_at, id""",
            tenant_id,
            card["id"],
        )
        holder = await _conn().fetchrow(
            """SELECT p.name, o.name_zh AS district_name FROM persons p JOIN org_units o ON o.id = p.tenant_id
               WHERE p.tenant_id = $1 AND p.id = $2""",
            tenant_id,
            card["person_id"],
        )
        return card, [dict(r) for r in issuances], dict(holder)


async def face(caller: Caller, card_no: str, *, download: str | None = None) -> rendering.CardFace:
    """The card as printed (the holder's full name, for the PNG and PDF downloads); with
    ``download`` (``png`` / ``pdf``) the download is audited in the same transaction, as any file
    carrying a person's name in clear. Without it, the name is masked (the card's page shows it)."""
    tenant_id = applications.reading_district(caller)
    async with tenant_transaction(caller.context()):
        card = await load(tenant_id, card_no)
        holder = await _conn().fetchrow(
            """SELECT p.name, o.name_zh AS district_name FROM persons p JOIN org_units o ON o.id = p.tenant_id
               WHERE p.tenant_id = $1 AND p.id = $2""",
            tenant_id, card["person_id"],
        )  # fmt: skip
        if download is not None:
            await audit.record(
                tenant_id, caller.actor, "talent_card.downloaded", object_type=issuance.CARD_OBJECT,
                object_id=card["id"], after={"card_no": card["card_no"], "format": download},
            )  # fmt: skip
    return rendering.CardFace(
        card_no=card["card_no"], tier=card["tier"],
        holder_name=holder["name"] if download is not None else card["holder_masked"],
        valid_from=card["valid_from"], valid_until=card["valid_until"],
        issuer=f"江门市{holder['district_name']}人力资源和社会保障局",
        verify_url=f"{get_settings().public_url}/verify/{card['token']}",
    )  # fmt: skip


async def list_cards(
    caller: Caller, *, person_id: UUID | None = None, state: str | None = None, renewal_due: bool = False,
    after: tuple[datetime, UUID] | None = None, limit: int = 50,
) -> list[dict[str, Any]]:  # fmt: skip
    """The district's cards, newest first (keyset on issued_at, id); ``renewal_due``: the clerks'
    reminder list (续期提醒) — active cards the nightly sweep found inside their renewal window."""
    tenant_id = applications.reading_district(caller)
    async with tenant_transaction(caller.context()):
        rows = await _conn().fetch(
            """SELECT * FROM talent_cards WHERE tenant_id = $1
                 AND ($2::uuid IS NULL OR person_id = $2) AND ($3::text IS NULL OR state = $3)
                 AND ($4::timestamptz IS NULL OR (issued_at, id) < ($4, $5::uuid))
                 AND (NOT $7 OR (state = 'active' AND renewal_flagged_on IS NOT NULL))
               ORDER BY issued_at DESC, id DESC LIMIT $6""",
            tenant_id, person_id, state, after[0] if after else None, after[1] if after else None, limit,
            renewal_due,
        )  # fmt: skip
    return [dict(r) for r in rows]


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed({"reason": REASON_REQUIRED})
    text_rules.refuse_invisible(reason=text)
    return text[:500]


async def _publish_after_commit(tenant_id: UUID, requested_by: UUID | None) -> None:
    await jobs.enqueue(PUBLISH, tenant_id, {}, f"publish:{uuid.uuid4()}", requested_by=requested_by)


async def _end(caller: Caller, tenant_id: UUID, card_no: str, state: str, reason: str) -> dict[str, Any]:
    card = await load(tenant_id, card_no, lock=True)
    if card["state"] != "active":
        raise Conflict(NOT_ACTIVE)
    await issuance.end_card(card, state, reason, caller.actor.user_id)
    await audit.record(
        tenant_id, caller.actor, f"talent_card.{state}", object_type=issuance.CARD_OBJECT,
        object_id=card["id"],
        before={"card_no": card["card_no"], "state": "active"},
        after={"card_no": card["card_no"], "state": state, "reason": reason},
    )  # fmt: skip
    await _publish_after_commit(tenant_id, caller.actor.user_id)
    return await load(tenant_id, card_no)


async def revoke(caller: Caller, card_no: str, reason: str | None) -> dict[str, Any]:
    """吊销: the card ends with a reason (left the city, false information); its bit is set."""
    tenant_id = applications.require(caller, Role.CLERK, Role.REVIEWER)
    text = _reason(reason)
    async with tenant_transaction(caller.context()):
        return await _end(caller, tenant_id, card_no, "revoked", text)


async def report_loss(
    caller: Caller, card_no: str, reason: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """挂失补办: the lost card ends (its bit is set) and a new card of the same tier and validity is
    issued at once under a new number, linked to the old one. Returns (lost card, new card)."""
    tenant_id = applications.require(caller, Role.CLERK)
    text = _reason(reason)
    async with tenant_transaction(caller.context()):
        lost = await _end(caller, tenant_id, card_no, "lost", text)
        signer = await signing_keys.active_signer()
        today = clock.today()
        new = await issuance.insert_card(
            tenant_id, application_id=lost["application_id"], person_id=lost["person_id"], tier=lost["tier"],
            policy_version_id=lost["policy_version_id"], valid_from=today,
            valid_until=max(lost["valid_until"], today), contract_end=lost["contract_end"], signer=signer,
            origin="reissue", replaces=lost["id"],
        )  # fmt: skip
        await issuance.record_issuance(new, lost["application_id"], "reissue", None, caller.actor)
        return lost, new


async def renew(caller: Caller, card_no: str, reason: str | None, changes: dict[str, Any]) -> dict[str, Any]:
    """续期申请: inside the renewal window, a renewal application for the card (draft), with the
    evidence of the card's application updated by ``changes`` (a new contract end, months …). It
    then follows the normal path: employer confirmation, submission, a reviewer's decision."""
    tenant_id = applications.require(caller, Role.CLERK)
    text_rules.refuse_invisible(reason=reason)
    async with tenant_transaction(caller.context()):
        card = await load(tenant_id, card_no, lock=True)
        if card["state"] != "active":
            raise Conflict(NOT_ACTIVE)
        window = await _renewal_window_days(card)
        opens = renewal_opens(card, window)
        today = clock.today()
        if today < opens:
            raise Conflict(RENEWAL_NOT_OPEN, date=opens.isoformat(), days=window)
        pending = await _conn().fetchval(
            """SELECT 1 FROM talent_applications WHERE tenant_id = $1 AND card_id = $2 AND kind = 'renewal'
               AND state IN ('draft', 'submitted', 'approved')""",
            tenant_id,
            card["id"],
        )
        if pending:
            raise Conflict(RENEWAL_PENDING)
        first = await application_store.load([tenant_id], card["application_id"])
        facts = application_store.as_json(first["facts"])
        evidence = applications.Evidence(
            person_id=card["person_id"],
            employer_id=changes.get("employer_id") or first["employer_id"],
            tier_claimed=changes.get("tier_claimed") or card["tier"],
            social_insurance_months=int(
                changes.get("social_insurance_months") or facts["social_insurance_months"]
            ),
            contract_end=changes.get("contract_end") or card["contract_end"],
            qualifications=tuple(changes.get("qualifications") or facts.get("qualifications") or ()),
            annual_salary_fen=changes.get("annual_salary_fen", facts.get("annual_salary_fen")),
            civil_servant=bool(changes.get("civil_servant", facts.get("civil_servant", False))),
            application_date=today,
        )
        return await applications.insert(
            tenant_id, caller, evidence, kind="renewal", card_id=card["id"], comment=reason
        )


async def _renewal_window_days(card: dict[str, Any]) -> int:
    policy = await tiers.version(card["tier"], card["tenant_id"], clock.today())
    assert policy.terms.card is not None
    return policy.terms.card.renewal_window_days


def renewal_opens(card: dict[str, Any], window_days: int) -> date:
    return card["valid_until"] - timedelta(days=window_days)
