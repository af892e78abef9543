"""The words of the youth register (港澳青年名册) and its grants: statuses, how a youth was reached,
the states of grants, tranches and clawbacks."""

from __future__ import annotations

from renshe.i18n import gettext as _
from renshe.i18n import lazy

STATUS_LABELS = {
    "studying": lazy("Studying"),
    "employed": lazy("Employed"),
    "self_employed": lazy("Self-employed"),
    "founder": lazy("Founder"),
    "left": lazy("Left the city"),
}
CHANNEL_LABELS = {
    "job_fair": lazy("Job fair"),
    "campus_event": lazy("Campus event"),
    "competition": lazy("Start-up competition"),
    "referral": lazy("Referral"),
    "walk_in": lazy("Walk-in"),
    "online": lazy("Online"),
    "other": lazy("Other"),
}
EVENT_LABELS = {
    "registered": lazy("Registered"),
    "status": lazy("Status changed"),
    "consent_withdrawn": lazy("Consent withdrawn"),
}


GRANT_STATE_LABELS = {
    "draft": lazy("Draft"), "submitted": lazy("Submitted"), "approved": lazy("Approved"),
    "rejected": lazy("Rejected"), "withdrawn": lazy("Withdrawn"),
}  # fmt: skip
TRANCHE_LABELS = {
    "planned": lazy("Planned"), "due": lazy("Milestone due"), "ready": lazy("Ready for payment"),
    "in_batch": lazy("In a batch"), "paid": lazy("Paid"), "payment_failed": lazy("Payment failed"),
    "cancelled": lazy("Cancelled"),
}  # fmt: skip
CLAWBACK_LABELS = {
    "owed": lazy("Owed"), "partly_recovered": lazy("Partly recovered"), "recovered": lazy("Recovered"),
    "written_off": lazy("Written off"),
}  # fmt: skip


def grant_state_label(state: str) -> str:
    return _(GRANT_STATE_LABELS[state]) if state in GRANT_STATE_LABELS else state


def tranche_label(state: str) -> str:
    return _(TRANCHE_LABELS[state]) if state in TRANCHE_LABELS else state


def clawback_label(state: str) -> str:
    return _(CLAWBACK_LABELS[state]) if state in CLAWBACK_LABELS else state


def status_label(status: str | None) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else (status or "")


def channel_label(channel: str | None) -> str:
    return _(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else (channel or "")


def event_label(kind: str) -> str:
    return _(EVENT_LABELS[kind]) if kind in EVENT_LABELS else kind
