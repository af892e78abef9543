"""Signing keys (issue 10 §4): ``renshe keys rotate-signing`` makes a new key and republishes the
lists with it; cards signed before stay valid under their key id until ``renshe keys
retire-signing`` withdraws it, after which they read "unknown signature"; the active key cannot be
retired; new cards are signed with the new key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import pytest_asyncio

from renshe import clock
from renshe.db.tenant import TenantContext, tenant_transaction
from renshe.subsidies.programs.sync import sync_catalogue
from renshe.talent import issuance, publishing, signing_keys, tokens
from renshe.talent.verification import Verdict, check
from tests.registry.support import unit_id
from tests.talent.support import PENGJIANG, approved

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def ready(db: None) -> None:
    await sync_catalogue()


def renshe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "renshe", "keys", *args],
        env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def issued_token() -> str:
    tenant = await unit_id(PENGJIANG)
    row = await approved()
    done = await issuance.issue_in_own_transaction(
        tenant, row["id"], clock.today(), await issuance.signer_for_run()
    )
    assert done is not None
    from renshe.db.tenant import current_transaction

    async with tenant_transaction(TenantContext.district(tenant)):
        token: str = await current_transaction().connection.fetchval(
            "SELECT token FROM talent_cards WHERE tenant_id = $1 AND card_no = $2", tenant, done.card_no
        )
    return token


async def verdict(token: str) -> Verdict:
    async with tenant_transaction(TenantContext.none()):
        keys = await signing_keys.published()
    lists = {PENGJIANG: await publishing.published_document(PENGJIANG)}
    return check(token, signing_keys.lookup(keys), lists, clock.today()).verdict


async def test_rotation_keeps_old_cards_valid_until_their_key_is_retired(ready: None) -> None:
    before = await issued_token()
    old_kid = tokens.read_unverified(before)[0].kid

    rotated = renshe("rotate-signing")
    assert rotated.returncode == 0, rotated.stderr[-2000:]
    lines = rotated.stdout.splitlines()
    assert lines[0].split()[1] == "active" and any(line.startswith(f"{old_kid}  verifying") for line in lines)
    assert await verdict(before) == Verdict.VALID  # the old key still verifies; the list is re-signed
    document = await publishing.published_document(PENGJIANG)
    assert document is not None and document["kid"] != old_kid

    after = await issued_token()
    new_kid = tokens.read_unverified(after)[0].kid
    assert new_kid != old_kid

    refused = renshe("retire-signing", new_kid)
    assert refused.returncode != 0 and "rotate first" in refused.stderr

    retired = renshe("retire-signing", old_kid)
    assert retired.returncode == 0, retired.stderr[-2000:]
    assert any(line.startswith(f"{old_kid}  retired") for line in retired.stdout.splitlines())
    assert await verdict(before) == Verdict.UNKNOWN_KEY
    assert await verdict(after) == Verdict.VALID
    assert renshe("retire-signing", "nosuchkey").returncode != 0
