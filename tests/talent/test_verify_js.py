"""The offline verifier (static/js/verify.js) agrees with the server's token and status-list code
(issue 10 §5): run in Chromium against vectors signed here, no server and no network."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from renshe.talent import status_lists, tokens, verification
from renshe.talent.card_numbers import CardNumber
from renshe.talent.tokens import CardClaims
from tests.browser.test_shell import CHROMIUM, CHROMIUM_ARGS, _require_chromium

SCRIPT = Path(__file__).resolve().parents[2] / "src" / "renshe" / "web" / "static" / "js" / "verify.js"
KEY, OTHER = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
AT = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
TODAY = "2027-03-01"


def raw_public(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


KEYS = [
    {"kid": "k2026a", "alg": "Ed25519", "public_key": raw_public(KEY), "not_before": "2026-01-01T00:00:00Z"}
]


def claims(**changes: Any) -> CardClaims:
    base: dict[str, Any] = {
        "kid": "k2026a",
        "card": CardNumber("440703", 2026, 123),
        "tier": "B",
        "valid_from": date(2026, 12, 6),
        "valid_until": date(2029, 12, 5),
        "status_index": 7,
        "holder": "欧阳*明",
    }
    return CardClaims(**{**base, **changes})


def status_list(revoked: list[int], district: str = "440703") -> dict[str, object]:
    return status_lists.build(district, revoked, highest_index=100, kid="k2026a", key=KEY, at=AT).to_json()


@pytest_asyncio.fixture(loop_scope="session")
async def page(tmp_path: Path) -> AsyncIterator[Any]:
    _require_chromium()
    from playwright.async_api import async_playwright

    harness = tmp_path / "harness.html"
    harness.write_text(f'<!doctype html><meta charset="utf-8"><script src="{SCRIPT.as_uri()}"></script>')
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = await browser.new_page()
            await tab.goto(harness.as_uri())
            yield tab
        finally:
            await browser.close()


async def verify(page: Any, token: str, lists: dict[str, object] | None = None) -> dict[str, Any]:
    lists = {"440703": status_list([3])} if lists is None else lists
    args = {"token": token, "keys": KEYS, "lists": lists, "today": TODAY}
    result: dict[str, Any] = await page.evaluate(
        "a => RensheVerify.verify(a.token, {keys: a.keys, lists: a.lists, today: a.today})", args
    )
    return result


async def test_every_verdict_the_server_would_give(page: Any) -> None:
    good = tokens.sign(claims(), KEY)
    assert (await verify(page, good))["status"] == "valid"
    assert (await verify(page, tokens.sign(claims(status_index=3), KEY)))["status"] == "revoked"
    expired = claims(valid_from=date(2024, 1, 1), valid_until=date(2027, 2, 28))
    assert (await verify(page, tokens.sign(expired, KEY)))["status"] == "expired"
    assert (await verify(page, tokens.sign(claims(tier="A"), OTHER)))["status"] == "bad_signature"
    assert (await verify(page, tokens.sign(claims(kid="k1999z"), KEY)))["status"] == "unknown_key"
    forged = bytearray(base64.urlsafe_b64decode(good + "=" * (-len(good) % 4)))
    forged[20] ^= 1
    text = base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode()
    assert (await verify(page, text))["status"] in {"bad_signature", "malformed"}
    for garbage in ("", "%%%", good[:40], "A" * 400):
        assert (await verify(page, garbage))["status"] == "malformed"


async def test_the_page_offline_and_the_server_give_the_same_verdict(page: Any) -> None:
    """The same tokens and lists through verification.check (the server) and verify.js."""
    lists = {"440703": status_list([3])}
    cases = [
        tokens.sign(claims(), KEY),
        tokens.sign(claims(status_index=3), KEY),
        tokens.sign(claims(valid_from=date(2024, 1, 1), valid_until=date(2027, 2, 28)), KEY),
        tokens.sign(claims(valid_from=date(2027, 3, 2)), KEY),
        tokens.sign(claims(tier="A"), OTHER),
        tokens.sign(claims(kid="k1999z"), KEY),
        tokens.sign(claims(card=CardNumber("440704", 2026, 9)), KEY),  # no list of 440704 at hand
        "not-a-token",
    ]
    keys = {"k2026a": KEY.public_key()}
    for token in cases:
        server = verification.check(token, keys.get, lists, date.fromisoformat(TODAY)).verdict
        assert (await verify(page, token, lists))["status"] == server.value, (token, server)


async def test_a_list_that_does_not_hold_gives_no_verdict_on_revocation(page: Any) -> None:
    good = tokens.sign(claims(status_index=3), KEY)
    cleared = status_list([])
    tampered = {
        **status_list([3]),
        "encoded_list": cleared["encoded_list"],
    }  # the bit cleared, signature kept
    assert (await verify(page, good, {"440703": tampered}))["status"] == "no_status"
    assert (await verify(page, good, {"440703": status_list([3], "440704")}))["status"] == "no_status"
    assert (await verify(page, good, {}))["status"] == "no_status"


async def test_the_browser_reads_every_claim_as_the_server_wrote_it(page: Any) -> None:
    rng = random.Random(20261206)
    names = ["张*", "欧阳*明", "C*** T** M**", "司徒*", "𠀀*𪚥"]
    for _ in range(25):
        made = claims(
            card=CardNumber(str(rng.randint(100000, 999999)), rng.randint(2000, 2100), rng.randint(1, 10**7)),
            tier=rng.choice("ABC"),
            valid_from=date(2000, 1, 1) + timedelta(days=rng.randint(0, 30000)),
            valid_until=date(2000, 1, 1) + timedelta(days=rng.randint(30000, 65535)),
            status_index=rng.randint(0, 2**32 - 1),
            holder=rng.choice(names),
        )
        read = await page.evaluate(
            "t => RensheVerify.unpack(RensheVerify.fromB64url(t).subarray(0, -64))", tokens.sign(made, KEY)
        )
        assert read == {
            "kid": made.kid,
            "district": made.card.district_code,
            "cardNo": made.card_no,
            "tier": made.tier,
            "validFrom": made.valid_from.isoformat(),
            "validUntil": made.valid_until.isoformat(),
            "statusIndex": made.status_index,
            "holder": made.holder,
        }, json.dumps(read, ensure_ascii=False)
