"""Audit actions in words (操作名称): the one mapping from the action an audit record carries
(``person.exported``) to what pages show (导出人员名单 / Person list exported).

Every action the code can record has a label here; ``tests/audit/test_action_labels.py`` reads the
``audit.record(...)`` calls in the source and fails on an action without one, and the catalog test
fails on a label without its Chinese. Pages show the words and keep the raw action in a tooltip
for support staff.
"""

from __future__ import annotations

from renshe.i18n import gettext, lazy
from renshe.subsidies.applications.states import STATES
from renshe.talent.states import APPLICATION_STATES as TALENT_APPLICATION_STATES

# An application's transitions are recorded as ``application.<state it entered>``.
_APPLICATION_ENTERED = {
    "draft": lazy("Application drafted"),
    "submitted": lazy("Application submitted"),
    "approved": lazy("Application approved"),
    "rejected": lazy("Application rejected"),
    "in_notice": lazy("Award put in public notice"),
    "on_hold": lazy("Award put on hold"),
    "ready": lazy("Award ready for payment"),
    "in_batch": lazy("Award put in a payment batch"),
    "paid": lazy("Award paid"),
    "payment_failed": lazy("Award payment failed"),
    "withdrawn": lazy("Application withdrawn"),
}

# A talent-card application's transitions: ``talent_application.<state it entered>``.
_TALENT_APPLICATION_ENTERED = {
    "draft": lazy("Talent card application drafted"),
    "submitted": lazy("Talent card application submitted"),
    "approved": lazy("Talent card application approved"),
    "rejected": lazy("Talent card application rejected"),
    "issued": lazy("Talent card application issued"),
    "withdrawn": lazy("Talent card application withdrawn"),
}

ACTION_LABELS: dict[str, str] = {
    # a KeyError at import for a new state without its label
    **{f"application.{state}": _APPLICATION_ENTERED[state] for state in STATES},
    "application.notice_closed": lazy("Public notice closed"),
    "application.objection": lazy("Objection recorded"),
    "application.objection_upheld": lazy("Objection upheld"),
    "application.objection_dismissed": lazy("Objection dismissed"),
    "application.payee_corrected": lazy("Payee account corrected"),
    "application_list.exported": lazy("Application list exported"),
    "review_queue.exported": lazy("Review queue exported"),
    "audit.exported": lazy("Audit log exported"),
    "auth.login": lazy("Signed in"),
    "auth.login_failed": lazy("Sign-in failed"),
    "auth.lockout": lazy("Account locked after failed sign-ins"),
    "auth.logout": lazy("Signed out"),
    "auth.token_issued": lazy("API token issued"),
    "auth.token_revoked": lazy("API token revoked"),
    "auth.tokens_revoked": lazy("All API tokens revoked"),
    "disbursement.batch_started": lazy("Payment batch started"),
    "disbursement.batch_built": lazy("Payment batch built"),
    "disbursement.batch_approved": lazy("Payment batch approved"),
    "disbursement.batch_cancelled": lazy("Payment batch cancelled"),
    "disbursement.batch_exported": lazy("Bank file generated"),
    "disbursement.file_downloaded": lazy("Bank file downloaded"),
    "disbursement.lines_exported": lazy("Payment lines exported"),
    "disbursement.return_applied": lazy("Bank return applied"),
    "enterprise.registered": lazy("Enterprise registered"),
    "enterprise.updated": lazy("Enterprise changed"),
    "enterprise.unmasked": lazy("Enterprise viewed in clear"),
    "enterprise.exported": lazy("Enterprise list exported"),
    "enterprise.exported_unmasked": lazy("Enterprise list exported in clear"),
    "job.requested": lazy("Job started"),
    "job.cancelled": lazy("Job cancelled"),
    "link.created": lazy("Linked to an enterprise"),
    "link.ended": lazy("Link to an enterprise ended"),
    "link.removed": lazy("Link to an enterprise removed"),
    "org_unit.created": lazy("Org unit created"),
    "org_unit.updated": lazy("Org unit changed"),
    "org_unit.deactivated": lazy("Org unit deactivated"),
    "person.registered": lazy("Person registered"),
    "person.updated": lazy("Person changed"),
    "person.document_added": lazy("Identity document added"),
    "person.document_removed": lazy("Identity document removed"),
    "person.unmasked": lazy("Person viewed in clear"),
    "person.exported": lazy("Person list exported"),
    "person.exported_unmasked": lazy("Person list exported in clear"),
    "program.created": lazy("Subsidy program created"),
    "program.updated": lazy("Subsidy program changed"),
    "program.version_added": lazy("Subsidy program terms added"),
    "program.deactivated": lazy("Subsidy program deactivated"),
    "registry.demo_seeded": lazy("Demo data loaded"),
    "registry.keys_rotated": lazy("Data keys rotated"),
    "registry.import_uploaded": lazy("Import file uploaded"),
    "registry.import_confirmed": lazy("Import confirmed"),
    "registry.import_completed": lazy("Import completed"),
    "registry.import_errors_exported": lazy("Import error file downloaded"),
    **{f"talent_application.{s}": _TALENT_APPLICATION_ENTERED[s] for s in TALENT_APPLICATION_STATES},
    "talent_application.employer_confirmed": lazy("Employer confirmation recorded"),
    "talent_card.new": lazy("Talent card issued"),
    "talent_card.issued": lazy("Talent cards issued by the nightly run"),
    "talent_card.renewal": lazy("Talent card renewed"),
    "talent_card.reissue": lazy("Talent card reissued after a loss"),
    "talent_card.revoked": lazy("Talent card revoked"),
    "talent_card.lost": lazy("Talent card reported lost"),
    "talent_card.expired": lazy("Talent card expired"),
    "talent_card.downloaded": lazy("Talent card downloaded (PNG or PDF)"),
    "talent_application_list.exported": lazy("Talent-card application list exported"),
    "talent_review_queue.exported": lazy("Talent-card review queue exported"),
    "talent_card_list.exported": lazy("Talent card list exported"),
    "hkmo_youth.registered": lazy("Hong Kong or Macao youth registered"),
    "hkmo_youth.changed": lazy("Hong Kong or Macao youth record changed"),
    "hkmo_youth.consent_withdrawn": lazy("Hong Kong or Macao youth withdrew consent"),
    "hkmo_youth_list.exported": lazy("Hong Kong and Macao youth list exported"),
    "hkmo_grant.draft": lazy("HK/MO youth grant planned"),
    "hkmo_grant.submitted": lazy("HK/MO youth grant submitted"),
    "hkmo_grant.approved": lazy("HK/MO youth grant approved"),
    "hkmo_grant.rejected": lazy("HK/MO youth grant rejected"),
    "hkmo_grant.withdrawn": lazy("HK/MO youth grant withdrawn"),
    "hkmo_tranche.milestone_recorded": lazy("Milestone evidence recorded"),
    "hkmo_tranche.met": lazy("Milestone met: tranche released for payment"),
    "hkmo_tranche.missed": lazy("Milestone missed: remaining tranches cancelled"),
    "hkmo_tranches.fell_due": lazy("Grant milestones fell due (nightly run)"),
    "alert.resolved": lazy("Alert resolved"),
    "hkmo_grant_list.exported": lazy("HK/MO youth grant list exported"),
    "hkmo_targets.set": lazy("HK/MO youth targets set"),
    "supervision.granted": lazy("Supervision access opened"),
    "supervision.ended": lazy("Supervision access ended early"),
    "supervision.read": lazy("District records read under supervision"),
    "hkmo_clawback.recorded": lazy("Clawback recorded"),
    "hkmo_clawback.recovered": lazy("Clawback instalment recovered"),
    "hkmo_clawback.written_off": lazy("Clawback written off"),
    "testing.slept": lazy("Test job step done"),
    "user.created": lazy("User created"),
    "user.roles_changed": lazy("User roles changed"),
    "user.deactivated": lazy("User deactivated"),
    "user.reactivated": lazy("User reactivated"),
    "user.password_reset": lazy("Password reset"),
    "user.password_changed": lazy("Password changed"),
    "user.second_factor_reset": lazy("Second factor reset"),
    "user.unlocked": lazy("User unlocked"),
}


def action_label(action: str) -> str:
    """The action in words in the request's language; the raw action if it has no label (an old
    record of an action since renamed)."""
    label = ACTION_LABELS.get(action)
    return gettext(label) if label is not None else action
