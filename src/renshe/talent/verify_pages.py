"""Verifying a card (人才卡核验), for anyone and without a login: a hospital's front desk, a school.

* ``GET /verify/{token}`` — the page the card's QR code opens: valid / expired / revoked / unknown
  signature, the tier, the masked name and the validity, nothing more. It carries the published
  keys and every district's list, and its script (``static/js/verify.js``) checks further cards in
  the browser with them, so it keeps working with the network off.
* ``GET /verify/keys`` — the keys a verifier trusts (key id → raw Ed25519 key, with validity).
* ``GET /verify/status/{district}`` — the district's signed status list as last published.

The online verdict is the offline one with the live state on top: a card revoked a moment ago
reads "revoked" here before its district's list is republished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import msgspec
from litestar import Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from renshe import clock
from renshe.db.tenant import TenantContext, current_transaction, tenant_transaction
from renshe.errors import NotFound
from renshe.i18n import gettext, lazy
from renshe.talent import publishing, signing_keys, tokens
from renshe.talent.verification import Finding, Verdict, check

TAGS = ["talent cards: verification"]
MAX_TOKEN = tokens.MAX_TOKEN_CHARS + 8  # anything longer is no token of ours: read no further
CACHE = {"Cache-Control": "public, max-age=60"}

VERDICT_LABELS: dict[str, str] = {
    Verdict.VALID: lazy("Valid"),
    Verdict.EXPIRED: lazy("Expired"),
    Verdict.NOT_YET_VALID: lazy("Not yet valid"),
    Verdict.REVOKED: lazy("Revoked"),
    Verdict.NO_STATUS: lazy("Cannot be checked now"),
    Verdict.UNKNOWN_KEY: lazy("Unknown signature"),
    Verdict.BAD_SIGNATURE: lazy("Unknown signature"),
    Verdict.MALFORMED: lazy("Not a talent card code"),
}
VERDICT_NOTES: dict[str, str] = {
    Verdict.VALID: lazy("This talent card is genuine and in force today."),
    Verdict.EXPIRED: lazy("This card is genuine but its validity has ended."),
    Verdict.NOT_YET_VALID: lazy("This card is genuine but not yet in force."),
    Verdict.REVOKED: lazy("This card has been revoked or reported lost. Do not accept it."),
    Verdict.NO_STATUS: lazy("The signature holds, but the district's revocation list is not at hand."),
    Verdict.UNKNOWN_KEY: lazy("This code was not signed by the bureau. Do not accept it."),
    Verdict.BAD_SIGNATURE: lazy("This code was not signed by the bureau. Do not accept it."),
    Verdict.MALFORMED: lazy("This is not the code of a talent card."),
}


class KeyOut(msgspec.Struct):
    kid: str
    alg: str
    public_key: str  # base64url of the 32 raw bytes
    not_before: datetime
    not_after: datetime | None = None  # when it stopped signing (it keeps verifying until retired)


class KeysOut(msgspec.Struct):
    keys: list[KeyOut]


async def published_keys() -> list[signing_keys.PublishedKey]:
    async with tenant_transaction(TenantContext.none()):
        return await signing_keys.published()


def keys_json(keys: list[signing_keys.PublishedKey]) -> list[dict[str, Any]]:
    return [msgspec.to_builtins(_key_out(k)) for k in keys]


def _key_out(k: signing_keys.PublishedKey) -> KeyOut:
    return KeyOut(k.kid, "Ed25519", k.public_key_b64, k.not_before, k.signed_until)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a check reads, in two transactions: the published keys, every district's published
    list (the page carries them all, so a card of any district checks offline), and the state of
    the card the token names (used only once the token proves genuine)."""

    keys: list[signing_keys.PublishedKey]
    lists: dict[str, dict[str, Any]]
    card_state: str | None


async def snapshot(token: str) -> Snapshot:
    try:
        named: tokens.CardClaims | None = tokens.read_unverified(token)[0]
    except tokens.TokenMalformed:
        named = None
    async with tenant_transaction(TenantContext.none()):
        conn = current_transaction().connection
        keys = await signing_keys.published()
        units = await conn.fetch("SELECT id, code FROM org_units WHERE kind = 'district' AND active")
    by_code = {u["code"]: u["id"] for u in units}
    # read-only over every district: published lists are public, and one card's state is one row
    async with tenant_transaction(TenantContext(read=frozenset(by_code.values()))):
        conn = current_transaction().connection
        rows = await conn.fetch(
            """SELECT o.code, s.document FROM talent_status_lists s JOIN org_units o ON o.id = s.tenant_id
               WHERE s.document IS NOT NULL"""
        )
        state = None
        if named is not None and named.card.district_code in by_code:
            state = await conn.fetchval(
                "SELECT state FROM talent_cards WHERE tenant_id = $1 AND status_index = $2 AND card_no = $3",
                by_code[named.card.district_code], named.status_index, named.card_no,
            )  # fmt: skip
    lists = {
        r["code"]: json.loads(r["document"]) if isinstance(r["document"], str) else r["document"]
        for r in rows
    }
    return Snapshot(keys, lists, state)


def live_state(finding: Finding, state: str | None) -> Finding:
    """A genuine token's card as the database holds it now: revoked at once, not a minute later."""
    genuine = (Verdict.VALID, Verdict.NO_STATUS, Verdict.EXPIRED, Verdict.NOT_YET_VALID)
    if finding.claims is None or finding.verdict not in genuine or state is None:
        return finding
    claims = finding.claims
    if state in publishing.ENDED:
        return Finding(Verdict.REVOKED, claims)
    if finding.verdict is Verdict.NO_STATUS:
        today = clock.today()
        verdict = (Verdict.EXPIRED if today > claims.valid_until
                   else Verdict.NOT_YET_VALID if today < claims.valid_from else Verdict.VALID)  # fmt: skip
        return Finding(verdict, claims)
    return finding


def labels() -> dict[str, Any]:
    """What the page's script shows, in the reader's language."""
    return {
        "verdicts": {v.value: gettext(VERDICT_LABELS[v]) for v in Verdict},
        "notes": {v.value: gettext(VERDICT_NOTES[v]) for v in Verdict},
        "tier": gettext("Tier"),
        "holder": gettext("Holder"),
        "validity": gettext("Validity"),
        "offline": gettext("Checked on this device, without the network."),
    }


@get("/verify/keys", name="verify.keys", tags=TAGS)
async def verify_keys() -> Response[KeysOut]:
    """The public keys of card tokens and status lists: the active key and those still verifying."""
    keys = await published_keys()
    return Response(KeysOut([_key_out(k) for k in keys]), headers=CACHE)


@get("/verify/status/{district:str}", name="verify.status", tags=TAGS)
async def verify_status(district: FromPath[str]) -> Response[dict[str, Any]]:
    """The district's signed status list (one bit per card, gzip, base64url; set: revoked)."""
    if not district.isdigit() or len(district) != 6:
        raise NotFound()
    document = await publishing.published_document(district)
    if document is None:
        raise NotFound()
    return Response(document, headers=CACHE)


@get("/verify", name="verify.form", include_in_schema=False)
async def verify_form(token: FromQuery[str | None] = None) -> Redirect:
    """The page's form without its script: a pasted address or code → its verification page."""
    value = (token or "").strip()
    at = value.rfind("/verify/")
    code = (value[at + len("/verify/") :] if at >= 0 else value).split("?")[0].split("#")[0]
    return Redirect(path=f"/verify/{quote(code[:MAX_TOKEN] or '-', safe='')}")


@get("/verify/{token:str}", name="verify.page", include_in_schema=False)
async def verify_page(token: FromPath[str]) -> Template:
    token = token[:MAX_TOKEN]
    seen = await snapshot(token)
    finding = live_state(
        check(token, signing_keys.lookup(seen.keys), seen.lists, clock.today()), seen.card_state
    )
    claims = finding.claims
    data = {"keys": keys_json(seen.keys), "lists": seen.lists, "today": clock.today().isoformat()}
    data["labels"] = labels()
    context = {
        "verdict": finding.verdict.value,
        "label": VERDICT_LABELS[finding.verdict],
        "note": VERDICT_NOTES[finding.verdict],
        "genuine": finding.verdict
        in (Verdict.VALID, Verdict.EXPIRED, Verdict.NOT_YET_VALID, Verdict.REVOKED),
        "claims": claims,
        "data": json.dumps(data, ensure_ascii=False, default=str),  # autoescaped into an attribute
    }
    return Template("talent/verify.html", context=context, headers={"Cache-Control": "no-store"})


ROUTES = [verify_keys, verify_status, verify_form, verify_page]
