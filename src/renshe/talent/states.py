"""人才卡申请与人才卡的状态 — the states of a talent-card application and of a card, in their
order, and the names every page, export and audit label gives them."""

from __future__ import annotations

from renshe.i18n import lazy

APPLICATION_STATES = ("draft", "submitted", "approved", "rejected", "issued", "withdrawn")
APPLICATION_STATE_LABELS: dict[str, str] = {
    "draft": lazy("Draft"),
    "submitted": lazy("Submitted for review"),
    "approved": lazy("Approved, card to issue"),
    "rejected": lazy("Rejected"),
    "issued": lazy("Card issued"),
    "withdrawn": lazy("Withdrawn"),
}

CARD_STATES = ("active", "expired", "revoked", "lost", "superseded")
CARD_STATE_LABELS: dict[str, str] = {
    "active": lazy("Active"),
    "expired": lazy("Expired"),
    "revoked": lazy("Revoked"),
    "lost": lazy("Reported lost"),
    "superseded": lazy("Replaced by a new card"),
}
