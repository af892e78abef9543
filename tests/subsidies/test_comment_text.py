"""Reasons on the money path follow :mod:`renshe.text_rules`: a rejection, withdrawal or
approval comment and a batch-cancellation reason with a bidi control or a zero-width character
are refused on the field and change nothing (issue 8.4)."""

from __future__ import annotations

import pytest

from renshe.accounts.principal import Role
from renshe.errors import ValidationFailed
from renshe.subsidies.applications import service, store
from renshe.text_rules import INVISIBLE_CHARACTERS
from tests.subsidies.applications_support import PENGJIANG, caller, submitted

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("comment", ["材料不全\u202e", "\u200b", "核对\u2066信息\u2069"])
async def test_a_decision_comment_with_an_invisible_character_is_refused(db: None, comment: str) -> None:
    clerk = await caller(PENGJIANG, Role.CLERK)
    reviewer = await caller(PENGJIANG, Role.REVIEWER)
    sub = await submitted(clerk)
    for act in (service.reject, service.approve, service.withdraw):
        who = clerk if act is service.withdraw else reviewer
        with pytest.raises(ValidationFailed) as refused:
            await act(who, sub["id"], sub["version"], comment)
        assert refused.value.errors == {"comment": INVISIBLE_CHARACTERS}
    from renshe.db.tenant import tenant_transaction

    async with tenant_transaction(reviewer.context()):
        row = await store.load([reviewer.principal.org_unit.id], sub["id"])
    assert row["state"] == "submitted" and row["version"] == sub["version"]
    done = await service.reject(reviewer, sub["id"], sub["version"], "材料不全")
    assert done["state"] == "rejected"
