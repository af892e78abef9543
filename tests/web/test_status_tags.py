"""Status tags: every state the code knows has a colour of its family (ui/feedback.html)."""

from __future__ import annotations

import re

import pytest

from renshe.disbursement.browse import BATCH_STATES, LINE_STATES
from renshe.hkmo.grants import STATES as GRANT_STATES
from renshe.hkmo.vocabulary import CLAWBACK_LABELS, TRANCHE_LABELS
from renshe.jobs.service import STATUSES as JOB_STATUSES
from renshe.subsidies.applications.states import STATES as APPLICATION_STATES
from renshe.web.templating import build_environment

IMPORT_STATUSES = ("uploaded", "validating", "invalid", "valid", "importing", "imported", "failed")
ALL = (
    set(APPLICATION_STATES)
    | set(BATCH_STATES)
    | set(LINE_STATES)
    | set(JOB_STATUSES)
    | set(IMPORT_STATUSES)
    | set(GRANT_STATES)
    | set(TRANCHE_LABELS)
    | set(CLAWBACK_LABELS)
)


def tag(state: str) -> str:
    env = build_environment()
    return env.from_string('{% import "ui/feedback.html" as fb %}{{ fb.status_tag(s, "x") }}').render(s=state)


def colour(state: str) -> str:
    match = re.search(r'class="badge ([\w-]+)"', tag(state))
    assert match, tag(state)
    return match.group(1)


@pytest.mark.parametrize("state", sorted(ALL))
def test_every_known_state_has_a_family(state: str) -> None:
    assert f'data-state="{state}"' in tag(state)
    # Only a draft is plain grey on purpose; grey for anything else means the state was forgotten.
    assert colour(state) != "bg-secondary-lt" or state == "draft"


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (("approved", "paid", "imported", "succeeded", "reconciled"), "bg-green-lt"),
        (("rejected", "payment_failed", "failed", "invalid"), "bg-red-lt"),
        (("cancelled", "withdrawn"), "ui-tag-muted"),
        (("submitted", "running", "importing"), "bg-azure-lt"),
    ],
)
def test_one_colour_per_family(states: tuple[str, ...], expected: str) -> None:
    assert {colour(s) for s in states} == {expected}
