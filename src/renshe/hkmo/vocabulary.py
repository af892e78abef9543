"""The words of the youth register (港澳青年名册): statuses and how a youth was reached."""

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


def status_label(status: str | None) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else (status or "")


def channel_label(channel: str | None) -> str:
    return _(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else (channel or "")


def event_label(kind: str) -> str:
    return _(EVENT_LABELS[kind]) if kind in EVENT_LABELS else kind
