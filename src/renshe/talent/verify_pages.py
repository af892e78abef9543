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


async def every_list() -> dict[str, dict[str, Any]]:
    """Every district's published list by district code (the page carries them all, so a card of
    any district checks offline)."""
    async with tenant_transaction(TenantContext.none()):
        codes = await current_transaction().connection.fetch(
            "SELECT code FROM org_units WHERE kind = 'district' AND active ORDER BY code"
        )
    lists = {}
    for row in codes:
        document = await publishing.published_document(row["code"])
        if document is not None:
            lists[row["code"]] = document
    return lists


async def live_state(finding: Finding) -> Finding:
    """A genuine token's card as the database holds it now: revoked at once, not a minute later."""
    if finding.claims is None or finding.verdict not in (Verdict.VALID, Verdict.NO_STATUS, Verdict.EXPIRED,
                                                         Verdict.NOT_YET_VALID):  # fmt: skip
        return finding
    claims = finding.claims
    async with tenant_transaction(TenantContext.none()):
        tenant_id = await current_transaction().connection.fetchval(
            "SELECT id FROM org_units WHERE code = $1 AND kind = 'district'", claims.card.district_code
        )
    if tenant_id is None:
        return finding
    async with tenant_transaction(TenantContext.district(tenant_id)):
        state = await current_transaction().connection.fetchval(
            "SELECT state FROM talent_cards WHERE tenant_id = $1 AND status_index = $2 AND card_no = $3",
            tenant_id, claims.status_index, claims.card_no,
        )  # fmt: skip
    if state in publishing.ENDED:
        return Finding(Verdict.REVOKED, claims)
    if state is not None and finding.verdict is Verdict.NO_STATUS:
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
    keys = await published_keys()
    lists = await every_list()
    finding = await live_state(check(token, signing_keys.lookup(keys), lists, clock.today()))
    claims = finding.claims
    data = {"keys": keys_json(keys), "lists": lists, "today": clock.today().isoformat(), "labels": labels()}
    context = {
        "verdict": finding.verdict.value,
        "label": VERDICT_LABELS[finding.verdict],
        "note": VERDICT_NOTES[finding.verdict],
        "genuine": finding.verdict
        in (Verdict.VALID, Verdict.EXPIRED, Verdict.NOT_YET_VALID, Verdict.REVOKED),
        "claims": claims,
        # inside <script type="application/json">: no "<", ">" or "&" can end the element early
        "data": json.dumps(data, ensure_ascii=False, default=str)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026"),
    }
    return Template("talent/verify.html", context=context, headers={"Cache-Control": "no-store"})


ROUTES = [verify_keys, verify_status, verify_form, verify_page]
