"""The rollup facts (汇总口径): the queries that count a district's cells from its own records.

A cell is (month, program, metric) → an integer. Two kinds of metric:

* **kept by deltas** (:data:`DELTA_KEPT`: an application's filed and decided counts, its payments,
  the payees served). What a changed record adds to which cell is said by two SQL functions,
  ``rollup_application_shares(application)`` and ``rollup_line_shares(line, award)`` (migration
  0029): the triggers write each statement's old versions' shares taken away and its new ones'
  added, and the fold adds them to the cells without reading any history. A paid line's share in
  "people served" is a change of its payee's paid lines in a month (``payee_id`` set): the fold
  keeps those per payee and moves the served count where a payee's first month moves
  (:mod:`renshe.rollups.folding`).
* **recounted** (cards, youth, grants, clawbacks: few rows a month). A change marks the (month,
  program) cells it touched, and the fold recounts those (``COUNT_TOUCHED``: the touched pairs are
  ``$2``/``$3``).

The nightly recomputation counts every cell of the district (``COUNT_ALL``) and every payee's paid
lines per month (``COUNT_PAYEES``) here, family by family — written apart from the share functions
on purpose: it is the oracle that "incremental = full" is checked against (a wrong share would
otherwise be counted wrong both ways and go unseen), and grouping each family's rows first is three
times faster than expanding every record's shares (over 1,000,000 applications: 10 s, against 32 s
through the functions).

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

OVERFLOW_DAY = 366  # the last bucket of ``pay_days`` (rollup_line_shares): more than a year
SERVED = ("people_served", "enterprises_served")
# the metrics the fold keeps by adding deltas, as SQL on ``metric``
DELTA_KEPT = (
    "(metric = 'applications' OR metric LIKE 'applications:%' OR metric LIKE 'pay_days:%'"
    " OR metric IN ('approved', 'approved_fen', 'paid', 'paid_fen', 'failed_payments',"
    " 'people_served', 'enterprises_served'))"
)

APPROVED_STATES = "('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'paid', 'payment_failed')"

# each payee's paid lines per (program, month): what rollup_payee_months holds
COUNT_PAYEES = """
SELECT a.program_code, v.served, v.payee_id, renshe_month(l.resolved_at) AS month, count(*) AS paid_lines
FROM payment_lines l JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id,
     LATERAL (VALUES ('people_served', a.person_id), ('enterprises_served', a.enterprise_id))
       AS v (served, payee_id)
WHERE l.tenant_id = $1 AND l.state = 'paid' AND l.resolved_at IS NOT NULL AND v.payee_id IS NOT NULL
GROUP BY 1, 2, 3, 4"""

# the recounted families; ``{scope}``: how the counted rows are cut to the touched cells
_RECOUNTED = """
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
recounted (month, program_code, metric, value) AS (
  SELECT issued, program_code, 'cards_issued', count(*) FROM cards GROUP BY 1, 2
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
)"""

# the cells named by $2/$3 (month, program), recounted families only
COUNT_TOUCHED = f"""
WITH {_RECOUNTED}
SELECT c.month, c.program_code, c.metric, c.value::bigint AS value FROM recounted c
JOIN (SELECT DISTINCT * FROM unnest($2::date[], $3::text[])) AS s (month, program_code)
  ON s.month = c.month AND s.program_code = c.program_code
WHERE c.value <> 0"""

# every cell of the district: its applications filed and decided, its lines paid and failed, each
# payee counted in the month of their first paid line, and the recounted families
COUNT_ALL = f"""
WITH filed AS (
  SELECT a.program_code, date_trunc('month', a.application_date)::date AS month, a.state
  FROM applications a WHERE a.tenant_id = $1 AND a.state <> 'draft'
),
decided AS (
  SELECT a.program_code, renshe_month(a.decided_at) AS month, a.amount_fen
  FROM applications a
  WHERE a.tenant_id = $1 AND a.decided_at IS NOT NULL AND a.state IN {APPROVED_STATES}
),
lines AS (
  SELECT a.program_code, renshe_month(l.resolved_at) AS month, l.state, l.amount_fen,
         greatest(0, least({OVERFLOW_DAY}, renshe_day(l.resolved_at)
                              - renshe_day(coalesce(a.submitted_at, a.decided_at, l.created_at)))) AS days,
         a.person_id, a.enterprise_id
  FROM payment_lines l JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id
  WHERE l.tenant_id = $1 AND l.state IN ('paid', 'failed') AND l.resolved_at IS NOT NULL
),
first_paid AS (
  SELECT program_code, person_id, NULL::uuid AS enterprise_id, min(month) AS month FROM lines
  WHERE state = 'paid' AND person_id IS NOT NULL GROUP BY 1, 2
  UNION ALL
  SELECT program_code, NULL::uuid, enterprise_id, min(month) FROM lines
  WHERE state = 'paid' AND enterprise_id IS NOT NULL GROUP BY 1, 3
),
{_RECOUNTED},
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
  UNION ALL SELECT * FROM recounted
)
SELECT month, program_code, metric, value::bigint AS value FROM counted WHERE value <> 0"""
