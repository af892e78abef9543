"""The rollup facts (汇总口径): the one query that counts a district's cells from its own records.

A cell is (month, program, metric) → an integer. Two kinds of metric:

* **kept by deltas** (:data:`DELTA_KEPT`: an application's filed and decided counts). They depend on
  the application's own row alone, so its trigger (migration 0028) writes what each statement
  changed in them — the old versions' contributions taken away, the new ones' added — and the
  fold adds those deltas up without reading any history. The trigger's arithmetic mirrors the
  ``filed`` and ``decided`` families below; the nightly recomputation counts them here.
* **recounted** (everything else: a payment is counted from its line and its award, a first
  payment from all of a payee's lines, and cards, youth and grants are few). A change marks the
  (month, program) cells it touched, and the fold recounts only those (``scoped``: the touched
  pairs are ``$2``/``$3``), the delta-kept families left out.

The nightly recomputation counts every cell of the district (``scoped=False``). Both are the same
text but for where the rows come from (the touched cells' rows, or the district's) and, unscoped, a
first payment read off the lines already counted — so "incremental = full" compares one definition
with itself, not two.

What each metric counts, and the month it belongs to (Shanghai time):

* ``applications:<state>`` — filed applications (not drafts) by their current state, in the month
  of their application date; ``applications`` — all of them.
* ``approved`` / ``approved_fen`` — awards decided (approved, and whatever followed: notice, hold,
  ready, batch, paid, failed) in the month of the decision. An HK/MO tranche released for payment
  is such an award, under its grant's program.
* ``paid`` / ``paid_fen`` — payment lines the bank confirmed, in the month of the confirmation;
  ``failed_payments`` — lines the bank returned as failed.
* ``pay_days:<n>`` — per paid line, whole days from the award's submission (its decision when it
  had none) to the payment: an exact histogram, 0…365, and 366 for "more than a year" (a payment
  dated before its submission, which only a clock set wrong can make, counts as day 0).
* ``people_served`` / ``enterprises_served`` — beneficiaries counted once per program, in the
  month of their first payment under it (新增受益): additive over months and districts.
* ``cards_issued`` / ``cards_active`` (of those, still active) by issue month, ``cards_revoked``
  by revocation month, under ``talent_card:<tier>``.
* ``youth_registered`` under ``hkmo_youth``, by registration month.
* ``grants_approved`` / ``grants_approved_fen`` — HK/MO grants approved, by decision month;
  ``clawbacks`` / ``clawbacks_fen`` — recorded, by month, under the grant's program.
"""

from __future__ import annotations

OVERFLOW_DAY = 366
# the metrics the fold keeps by adding deltas (the ``filed`` and ``decided`` families), as SQL on ``metric``
DELTA_KEPT = (
    "(metric = 'applications' OR metric LIKE 'applications:%' OR metric IN ('approved', 'approved_fen'))"
)
APPROVED_STATES = "('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'paid', 'payment_failed')"

# {filed_rows}, {decided_rows}, {line_rows}: where a family's rows come from — the district's tables,
# or (scoped) only the rows of the touched (month, program) pairs, read per pair through the indexes
# on (district, program, month): a LATERAL join, so that the planner cannot trade the index for a
# scan of the whole history (its estimate of a month's rows is poor, and a fold must cost what the
# touched cells hold, not what the district holds). OFFSET 0 keeps each subquery a subquery: a
# plain one would be pulled up into the join, and the choice handed back. A month is a range of
# instants, not renshe_month(column) = month: under row security only leakproof operators on a
# column can drive an index, and date_trunc is not one.
_FAMILIES = f"""
WITH scope AS (
  -- a touched (month, program), and the month's first and next first instants in Shanghai
  SELECT month, program_code, (month::timestamp AT TIME ZONE 'Asia/Shanghai') AS starts,
         ((month + interval '1 month') AT TIME ZONE 'Asia/Shanghai') AS ends
  FROM (SELECT DISTINCT * FROM unnest($2::date[], $3::text[]) AS s (month, program_code)) touched
),
filed AS (
  SELECT a.program_code, date_trunc('month', a.application_date)::date AS month, a.state
  FROM {{filed_rows}}
  WHERE a.tenant_id = $1 AND a.state <> 'draft'
),
decided AS (
  SELECT a.program_code, renshe_month(a.decided_at) AS month, a.amount_fen
  FROM {{decided_rows}}
  WHERE a.tenant_id = $1 AND a.decided_at IS NOT NULL AND a.state IN {APPROVED_STATES}
),
lines AS (
  SELECT a.program_code, renshe_month(l.resolved_at) AS month, l.state, l.amount_fen,
         greatest(0, least({OVERFLOW_DAY}, renshe_day(l.resolved_at)
                              - renshe_day(coalesce(a.submitted_at, a.decided_at, l.created_at)))) AS days,
         a.person_id, a.enterprise_id
  FROM {{line_rows}}
  WHERE l.tenant_id = $1 AND l.state IN ('paid', 'failed') AND l.resolved_at IS NOT NULL
),
first_paid AS (
  -- each beneficiary of a paid line counted: the month of their first paid line under the program
  {{first_paid}}
),
cards AS (
  SELECT 'talent_card:' || c.tier AS program_code, renshe_month(c.issued_at) AS issued,
         renshe_month(c.ended_at) AS ended, c.state
  FROM talent_cards c WHERE c.tenant_id = $1
),
grants AS (
  SELECT g.program_code, renshe_month(g.decided_at) AS month, g.amount_fen
  FROM hkmo_grants g WHERE g.tenant_id = $1 AND g.state = 'approved' AND g.decided_at IS NOT NULL
),
clawbacks AS (
  SELECT g.program_code, renshe_month(c.recorded_at) AS month, c.amount_fen
  FROM hkmo_clawbacks c JOIN hkmo_grants g ON g.tenant_id = c.tenant_id AND g.id = c.grant_id
  WHERE c.tenant_id = $1
),
counted (month, program_code, metric, value) AS (
  SELECT month, program_code, 'applications:' || state, count(*) FROM filed GROUP BY 1, 2, 3
  UNION ALL SELECT month, program_code, 'applications', count(*) FROM filed GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'approved', count(*) FROM decided GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'approved_fen', sum(amount_fen) FROM decided GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'paid', count(*) FROM lines WHERE state = 'paid' GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'paid_fen', sum(amount_fen) FROM lines
            WHERE state = 'paid' GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'failed_payments', count(*) FROM lines
            WHERE state = 'failed' GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'pay_days:' || days, count(*) FROM lines
            WHERE state = 'paid' GROUP BY 1, 2, days
  UNION ALL SELECT month, program_code, 'people_served', count(*) FROM first_paid
            WHERE person_id IS NOT NULL GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'enterprises_served', count(*) FROM first_paid
            WHERE enterprise_id IS NOT NULL GROUP BY 1, 2
  UNION ALL SELECT issued, program_code, 'cards_issued', count(*) FROM cards GROUP BY 1, 2
  UNION ALL SELECT issued, program_code, 'cards_active', count(*) FROM cards
            WHERE state = 'active' GROUP BY 1, 2
  UNION ALL SELECT ended, program_code, 'cards_revoked', count(*) FROM cards
            WHERE state = 'revoked' GROUP BY 1, 2
  UNION ALL SELECT date_trunc('month', y.registered_on)::date, 'hkmo_youth', 'youth_registered', count(*)
            FROM hkmo_youth y WHERE y.tenant_id = $1 GROUP BY 1
  UNION ALL SELECT month, program_code, 'grants_approved', count(*) FROM grants GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'grants_approved_fen', sum(amount_fen) FROM grants GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'clawbacks', count(*) FROM clawbacks GROUP BY 1, 2
  UNION ALL SELECT month, program_code, 'clawbacks_fen', sum(amount_fen) FROM clawbacks GROUP BY 1, 2
)
SELECT c.month, c.program_code, c.metric, c.value::bigint AS value FROM counted c {{scope_out}}
WHERE c.value <> 0
"""

# Scoped, a touched beneficiary's first payment may lie in a month outside the scope: their lines
# are read back from every month. Unscoped, ``lines`` holds every paid line already.
_FIRST_PAID_SCOPED = """
  SELECT b.program_code, b.person_id, NULL::uuid AS enterprise_id, min(renshe_month(l.resolved_at)) AS month
  FROM (SELECT DISTINCT program_code, person_id FROM lines WHERE state = 'paid' AND person_id IS NOT NULL) b
  JOIN applications a ON a.tenant_id = $1 AND a.person_id = b.person_id AND a.program_code = b.program_code
  JOIN payment_lines l ON l.tenant_id = a.tenant_id AND l.application_id = a.id AND l.state = 'paid'
       AND l.resolved_at IS NOT NULL
  GROUP BY 1, 2
  UNION ALL
  SELECT b.program_code, NULL::uuid, b.enterprise_id, min(renshe_month(l.resolved_at))
  FROM (SELECT DISTINCT program_code, enterprise_id FROM lines
        WHERE state = 'paid' AND enterprise_id IS NOT NULL) b
  JOIN applications a ON a.tenant_id = $1 AND a.enterprise_id = b.enterprise_id
       AND a.program_code = b.program_code
  JOIN payment_lines l ON l.tenant_id = a.tenant_id AND l.application_id = a.id AND l.state = 'paid'
       AND l.resolved_at IS NOT NULL
  GROUP BY 1, 3"""
_FIRST_PAID_ALL = """
  SELECT program_code, person_id, NULL::uuid AS enterprise_id, min(month) AS month FROM lines
  WHERE state = 'paid' AND person_id IS NOT NULL GROUP BY 1, 2
  UNION ALL
  SELECT program_code, NULL::uuid, enterprise_id, min(month) FROM lines
  WHERE state = 'paid' AND enterprise_id IS NOT NULL GROUP BY 1, 3"""

_ROWS_ALL = {
    "filed_rows": "applications a",
    "decided_rows": "applications a",
    "line_rows": "payment_lines l JOIN applications a"
    " ON a.tenant_id = l.tenant_id AND a.id = l.application_id",
}
# the delta-kept families are not recounted for a mark: no rows
_NO_ROWS = "(SELECT * FROM applications WHERE false) a"
_ROWS_TOUCHED = {
    "filed_rows": _NO_ROWS,
    "decided_rows": _NO_ROWS,
    "line_rows": """scope s CROSS JOIN LATERAL (
      SELECT * FROM payment_lines x WHERE x.tenant_id = $1 AND x.state IN ('paid', 'failed')
        AND x.resolved_at >= s.starts AND x.resolved_at < s.ends OFFSET 0) l
    CROSS JOIN LATERAL (
      SELECT * FROM applications y WHERE y.tenant_id = l.tenant_id AND y.id = l.application_id
        AND y.program_code = s.program_code OFFSET 0) a""",
}
# the families without their own scope join (few rows) are cut to the touched cells at the end
_SCOPE_OUT = "JOIN scope s ON s.month = c.month AND s.program_code = c.program_code"


def counting_sql(*, scoped: bool) -> str:
    """The query of ``(month, program_code, metric, value)`` rows of district ``$1``: only the
    cells named by ``$2``/``$3`` when ``scoped``, every cell otherwise (pass empty arrays)."""
    if scoped:
        return _FAMILIES.format(**_ROWS_TOUCHED, scope_out=_SCOPE_OUT, first_paid=_FIRST_PAID_SCOPED)
    return _FAMILIES.format(**_ROWS_ALL, scope_out="", first_paid=_FIRST_PAID_ALL)


COUNT_TOUCHED = counting_sql(scoped=True)
COUNT_ALL = counting_sql(scoped=False)
