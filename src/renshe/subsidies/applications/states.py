"""申请状态 — the states of an application (an award, once approved) in their order along the
money path, and the names every page and export gives them."""

from __future__ import annotations

from renshe.i18n import lazy

STATES = (
    "draft", "submitted", "approved", "rejected", "in_notice", "on_hold",
    "ready", "in_batch", "paid", "payment_failed", "withdrawn",
)  # fmt: skip
STATE_LABELS: dict[str, str] = {
    "draft": lazy("Draft"),
    "submitted": lazy("Submitted for review"),
    "approved": lazy("Approved"),
    "rejected": lazy("Rejected"),
    "in_notice": lazy("In public notice"),
    "on_hold": lazy("On hold (objection)"),
    "ready": lazy("Ready for payment"),
    "in_batch": lazy("In a payment batch"),
    "paid": lazy("Paid"),
    "payment_failed": lazy("Payment failed"),
    "withdrawn": lazy("Withdrawn"),
}
