"""Issuing cards (制卡发证): one approval at a time — a renewal, a reissue after a loss, and the
building blocks (validity, signing, the card row) that the nightly chunks of new cards share
(:mod:`renshe.talent.nightly_issue`).

One short transaction per approval: lock the application (``SKIP LOCKED``, so concurrent issuers
share the work instead of queueing on one row), insert the card — the database's trigger takes the
card number from the district's ``QD`` counter of the year and the status index from its list —
sign the token with the active key, record the issuance, move the application to ``issued`` and
write the audit records. What makes it exactly-once is the database, not timing:

* a committed issuance moved the application out of ``approved``, so a re-run, a second fan-out or
  an "issue now" beside the nightly job finds nothing left to do for it;
* ``talent_cards_one_per_approval`` and ``talent_card_issuances_one_per_approval`` refuse a second
  card or issuance for one approval whatever the code does;
* a worker killed mid-transaction loses the whole transaction, the counter's increment with it, so
  committed numbers stay gapless and none is ever handed out twice.

A renewal approved for the card's own tier extends the same card (same number, new validity, the
token re-signed); one approved for another tier, or for a card no longer active, issues a new card
that replaces the old one (``origin = 'renewal'``), and the old one is superseded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from renshe import clock
from renshe.audit import service as audit
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.registry import repository as registry
from renshe.registry.masking import mask_name
from renshe.subsidies.programs import service as programs
from renshe.talent import application_store, signing_keys, tokens
from renshe.talent.card_numbers import parse_card_number

CARD_OBJECT = "talent_card"


def _conn() -> asyncpg.Connection:
    return current_transaction().connection


def add_years(day: date, years: int) -> date:
    """The same calendar day ``years`` later (29 February → 28 February in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def validity(start: date, years: int, contract_end: date) -> date:
    """The last valid day: ``years`` from ``start``, never past the end of the labour contract."""
    return min(add_years(start, years) - timedelta(days=1), contract_end)


@dataclass(frozen=True, slots=True)
class Issued:
    application_id: UUID
    card_no: str
    kind: str  # new | renewal | reissue
    valid_until: date


def sign_card(card: dict[str, Any], signer: signing_keys.Signer) -> str:
    """The token of ``card`` as it stands (number, tier, validity, status index, masked holder)."""
    claims = tokens.CardClaims(
        kid=signer.kid, card=parse_card_number(card["card_no"]), tier=card["tier"],
        valid_from=card["valid_from"], valid_until=card["valid_until"], status_index=card["status_index"],
        holder=tokens.fit_name(card["holder_masked"]),
    )  # fmt: skip
    return tokens.sign(claims, signer.private_key)


async def _validity_years(application: dict[str, Any]) -> int:
    policy = await programs.version_by_id(application["policy_version_id"], application["tenant_id"])
    assert policy.terms.card is not None
    return policy.terms.card.validity_years


async def insert_card(
    tenant_id: UUID, *, application_id: UUID, person_id: UUID, tier: str, policy_version_id: UUID,
    valid_from: date, valid_until: date, contract_end: date, signer: signing_keys.Signer,
    origin: str = "new", replaces: UUID | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A new card row, numbered by the trigger, then signed (the token names number and index)."""
    person = await registry.load_person(person_id, [tenant_id])
    card = dict(
        await _conn().fetchrow(
            """INSERT INTO talent_cards (tenant_id, card_no, year, status_index, application_id, origin,
                                         person_id, tier, policy_version_id, valid_from, valid_until,
                                         contract_end, holder_masked, kid, token, replaces_card_id,
                                         issued_at, updated_at)
               VALUES ($1, '', 0, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', $12,
                       coalesce($13, now()), coalesce($13, now()))
               RETURNING *""",
            tenant_id, application_id, origin, person_id, tier, policy_version_id, valid_from, valid_until,
            contract_end, tokens.fit_name(mask_name(person.name)), signer.kid, replaces, clock.record_time(),
        )
    )  # fmt: skip
    card["token"] = sign_card(card, signer)
    await _conn().execute(
        "UPDATE talent_cards SET token = $3 WHERE tenant_id = $1 AND id = $2",
        tenant_id,
        card["id"],
        card["token"],
    )
    return card


async def record_issuance(
    card: dict[str, Any],
    application_id: UUID,
    kind: str,
    job_id: UUID | None,
    actor: audit.Actor = audit.SYSTEM,
) -> None:
    await _conn().execute(
        """INSERT INTO talent_card_issuances (tenant_id, application_id, card_id, kind, valid_from,
                                              valid_until, kid, job_id, issued_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, coalesce($9, clock_timestamp()))""",
        card["tenant_id"], application_id, card["id"], kind, card["valid_from"], card["valid_until"],
        card["kid"], job_id, clock.record_time(),
    )  # fmt: skip
    await audit.record(
        card["tenant_id"], actor, f"talent_card.{kind}",
        object_type=CARD_OBJECT, object_id=card["id"],
        after={"card_no": card["card_no"], "tier": card["tier"], "valid_from": card["valid_from"].isoformat(),
               "valid_until": card["valid_until"].isoformat(), "kid": card["kid"]},
    )  # fmt: skip


async def end_card(card: dict[str, Any], state: str, reason: str | None, by: UUID | None) -> None:
    """An active card ends (superseded, revoked, lost); its district's list must be republished."""
    await _conn().execute(
        """UPDATE talent_cards SET state = $3, ended_reason = $4, ended_by = $5,
                  ended_at = coalesce($6, now()), version = version + 1, updated_at = coalesce($6, now())
           WHERE tenant_id = $1 AND id = $2""",
        card["tenant_id"], card["id"], state, reason, by, clock.record_time(),
    )  # fmt: skip
    await _conn().execute(
        "UPDATE talent_status_lists SET changed_at = clock_timestamp() WHERE tenant_id = $1",
        card["tenant_id"],
    )


async def _renew(
    application: dict[str, Any], on: date, signer: signing_keys.Signer, job_id: UUID | None
) -> Issued:
    tenant_id = application["tenant_id"]
    old = dict(
        await _conn().fetchrow(
            "SELECT * FROM talent_cards WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
            tenant_id,
            application["card_id"],
        )
    )
    years = await _validity_years(application)
    tier = application["tier_approved"]
    if old["state"] == "active" and old["tier"] == tier:
        # the same number, a new period from the day after the old one ends
        start = max(old["valid_until"] + timedelta(days=1), on)
        until = validity(start, years, application["contract_end"])
        card = dict(
            await _conn().fetchrow(
                """UPDATE talent_cards SET valid_until = $3, contract_end = $4, policy_version_id = $5,
                          renewal_flagged_on = NULL, version = version + 1, updated_at = now()
                   WHERE tenant_id = $1 AND id = $2 RETURNING *""",
                tenant_id, old["id"], max(until, old["valid_until"]), application["contract_end"],
                application["policy_version_id"],
            )
        )  # fmt: skip
        card["kid"] = signer.kid
        card["token"] = sign_card(card, signer)
        await _conn().execute(
            "UPDATE talent_cards SET token = $3, kid = $4 WHERE tenant_id = $1 AND id = $2",
            tenant_id, card["id"], card["token"], signer.kid,
        )  # fmt: skip
    else:
        if old["state"] == "active":
            await end_card(old, "superseded", "renewed as tier " + tier, None)
        card = await insert_card(
            tenant_id, application_id=application["id"], person_id=application["person_id"], tier=tier,
            policy_version_id=application["policy_version_id"], valid_from=on,
            valid_until=validity(on, years, application["contract_end"]),
            contract_end=application["contract_end"],
            signer=signer, origin="renewal", replaces=old["id"],
        )  # fmt: skip
    await record_issuance(card, application["id"], "renewal", job_id)
    return Issued(application["id"], card["card_no"], "renewal", card["valid_until"])


async def issue_one(
    tenant_id: UUID, application_id: UUID, on: date, signer: signing_keys.Signer, job_id: UUID | None = None
) -> Issued | None:
    """Issue one approval inside the open transaction; None when another issuer holds it or has
    issued it already, or when its contract ended before the card could start."""
    row = await _conn().fetchrow(
        """SELECT * FROM talent_applications WHERE tenant_id = $1 AND id = $2 AND state = 'approved'
           FOR UPDATE SKIP LOCKED""",
        tenant_id,
        application_id,
    )
    if row is None:
        return None
    application = dict(row)
    if application["contract_end"] < on:
        return None
    if application["kind"] == "renewal":
        issued = await _renew(application, on, signer, job_id)
    else:
        years = await _validity_years(application)
        card = await insert_card(
            tenant_id, application_id=application_id, person_id=application["person_id"],
            tier=application["tier_approved"], policy_version_id=application["policy_version_id"],
            valid_from=on,
            valid_until=validity(on, years, application["contract_end"]),
            contract_end=application["contract_end"],
            signer=signer,
        )  # fmt: skip
        await record_issuance(card, application_id, "new", job_id)
        issued = Issued(application_id, card["card_no"], "new", card["valid_until"])
    after = await application_store.change(application, {"state": "issued"})
    await application_store.event(tenant_id, audit.SYSTEM, application, after, issued.card_no)
    return issued


async def signer_for_run() -> signing_keys.Signer:
    """The active key, read once per run (created on a new installation's first issuance). A
    rotation during the run is harmless: the old key keeps verifying until it is retired."""
    async with tenant_transaction(TenantContext.none()):
        return await signing_keys.active_signer()


async def issue_in_own_transaction(
    tenant_id: UUID, application_id: UUID, on: date, signer: signing_keys.Signer, job_id: UUID | None = None
) -> Issued | None:
    async with tenant_transaction(TenantContext.district(tenant_id)):
        return await issue_one(tenant_id, application_id, on, signer, job_id)
