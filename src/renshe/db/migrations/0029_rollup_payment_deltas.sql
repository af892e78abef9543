-- 0029 payments are folded by deltas too; one definition of a record's shares (shared/spec/06-rollups.md).
--
-- Until now a payment marked its month, and the fold recounted the month's payments: in a district
-- with a million applications, a fold of a bank file's 1,000 lines re-read every payment of the
-- month (4.1× the same fold in a small district). Now:
--
-- * rollup_application_shares(application) and rollup_line_shares(line, award) say, once, what a
--   record adds to which cell: the triggers write old versions' shares taken away and new ones'
--   added (deltas). renshe.rollups.facts counts the nightly full recount apart, family by family:
--   it is the oracle the deltas are checked against, and three times faster than the functions
--   expanded over every record.
-- * A payment line's shares depend on its award (program, payee, submission). The line's trigger
--   holds its awards FOR SHARE before reading them: a concurrent correction of the award's program
--   or payee either commits first (and the line is counted under the corrected award) or waits for
--   the line's transaction, and then its own trigger, reading the award's lines afresh, sees the
--   line and moves it. An award's trigger moves its counted lines: their shares under the old
--   version taken away, under the new one added.
-- * "People served" counts a payee once per program, in the month of their first paid line. A
--   paid line's share for it is a change of the payee's paid lines in the month (a change row with
--   payee_id, metric 'people_served' or 'enterprises_served', delta = lines). The fold keeps every
--   payee's paid lines per (program, month) in rollup_payee_months and moves the served count only
--   where a payee's first month moved; it reads the touched payees' rows, not the month's.
--
-- Marks now stand for cards, youth, grants and clawbacks only (few rows per month).

CREATE TABLE rollup_payee_months (
  tenant_id    uuid NOT NULL REFERENCES org_units (id),
  program_code text NOT NULL,
  served       text NOT NULL CHECK (served IN ('people_served', 'enterprises_served')),
  payee_id     uuid NOT NULL,                 -- the person or the enterprise
  month        date NOT NULL CHECK (extract(day FROM month) = 1),
  paid_lines   integer NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),   -- a handle for tools; the key is the row's
  PRIMARY KEY (tenant_id, program_code, served, payee_id, month)
);
SELECT renshe_protect('rollup_payee_months');
GRANT SELECT, INSERT, UPDATE, DELETE ON rollup_payee_months TO renshe_app;
GRANT SELECT ON rollup_payee_months TO renshe_maint;

ALTER TABLE rollup_changes
  ADD COLUMN payee_id uuid,
  ADD CONSTRAINT rollup_changes_payee_is_served
    CHECK (payee_id IS NULL OR metric IN ('people_served', 'enterprises_served'));

-- What an application adds to the filed and decided counts. STABLE, single SELECT: inlined.
CREATE FUNCTION rollup_application_shares(a applications)
RETURNS TABLE (month date, program_code text, metric text, value bigint)
LANGUAGE sql STABLE AS $$
  SELECT v.month, a.program_code, v.metric, v.value
  FROM (VALUES
    (date_trunc('month', a.application_date::timestamp)::date, 'applications', 1::bigint, a.state <> 'draft'),
    (date_trunc('month', a.application_date::timestamp)::date, 'applications:' || a.state, 1, a.state <> 'draft'),
    (renshe_month(a.decided_at), 'approved', 1,
     a.state IN ('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'paid', 'payment_failed')),
    (renshe_month(a.decided_at), 'approved_fen', a.amount_fen::bigint,
     a.state IN ('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'paid', 'payment_failed'))
  ) AS v (month, metric, value, counted)
  WHERE v.counted AND v.month IS NOT NULL AND a.program_code IS NOT NULL
$$;

-- What a payment line adds, under its award: paid (count, fen, the day-to-pay histogram: whole
-- Shanghai days from the submission, the decision when there was none, to the payment; 0…365, 366
-- for more), failed, and its payees' paid lines (payee_id set: not a cell, see above).
CREATE FUNCTION rollup_line_shares(l payment_lines, a applications)
RETURNS TABLE (month date, program_code text, metric text, value bigint, payee_id uuid)
LANGUAGE sql STABLE AS $$
  SELECT renshe_month(l.resolved_at), a.program_code, v.metric, v.value, v.payee_id
  FROM (VALUES
    ('paid', 'paid', 1::bigint, NULL::uuid),
    ('paid', 'paid_fen', l.amount_fen::bigint, NULL),
    ('paid', 'pay_days:' || greatest(0, least(366, renshe_day(l.resolved_at)
                                  - renshe_day(coalesce(a.submitted_at, a.decided_at, l.created_at)))), 1, NULL),
    ('paid', 'people_served', 1, a.person_id),
    ('paid', 'enterprises_served', 1, a.enterprise_id),
    ('failed', 'failed_payments', 1, NULL)
  ) AS v (state, metric, value, payee_id)
  WHERE v.state = l.state AND l.resolved_at IS NOT NULL AND a.program_code IS NOT NULL
    AND (v.payee_id IS NOT NULL OR v.metric NOT IN ('people_served', 'enterprises_served'))
$$;
GRANT EXECUTE ON FUNCTION rollup_application_shares(applications), rollup_line_shares(payment_lines, applications)
  TO renshe_app, renshe_maint;

-- An application: its own shares; one whose program, payee or submission changed moves its
-- counted lines (their shares under the old version taken away, under the new one added).
DROP FUNCTION rollup_mark_applications(applications[], applications[]);
CREATE FUNCTION rollup_mark_applications(p_old applications[], p_new applications[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code, metric, delta, payee_id)
  SELECT s.tenant_id, s.month, s.program_code, s.metric, sum(s.sign * s.value), s.payee_id
  FROM (
    SELECT (v.a).tenant_id, v.sign, s.month, s.program_code, s.metric, s.value, NULL::uuid AS payee_id
    FROM (SELECT o AS a, -1 AS sign FROM unnest(p_old) o UNION ALL SELECT n, 1 FROM unnest(p_new) n) v,
         LATERAL rollup_application_shares(v.a) s
    UNION ALL
    SELECT (m.a).tenant_id, m.sign, s.month, s.program_code, s.metric, s.value, s.payee_id
    FROM (
      SELECT v.a, v.sign
      FROM unnest(p_old) o JOIN unnest(p_new) n ON n.tenant_id = o.tenant_id AND n.id = o.id,
           LATERAL (VALUES (o, -1), (n, 1)) AS v (a, sign)
      WHERE (o.program_code, o.person_id, o.enterprise_id, coalesce(o.submitted_at, o.decided_at))
            IS DISTINCT FROM (n.program_code, n.person_id, n.enterprise_id, coalesce(n.submitted_at, n.decided_at))
    ) m,
    LATERAL (  -- its lines paid or failed (the ones counted), each state through its own index
      SELECT x FROM payment_lines x
      WHERE x.tenant_id = (m.a).tenant_id AND x.application_id = (m.a).id AND x.state = 'paid'
      UNION ALL
      SELECT x FROM payment_lines x
      WHERE x.tenant_id = (m.a).tenant_id AND x.application_id = (m.a).id AND x.state = 'failed'
    ) AS l (line),
    LATERAL rollup_line_shares(l.line, m.a) s
  ) AS s (tenant_id, sign, month, program_code, metric, value, payee_id)
  GROUP BY s.tenant_id, s.month, s.program_code, s.metric, s.payee_id
  HAVING sum(s.sign * s.value) <> 0;
END
$$;

-- A payment line: its shares under its award, the award held against a concurrent correction.
-- Its plans are generic: planned afresh for each statement's arrays (PL/pgSQL's default, which
-- kept choosing custom plans), the insert's planning cost 0.6 ms of every UPDATE of a line
-- (1.85 ms against 1.0 ms generic; 0028's marking took 1.24 ms).
DROP FUNCTION rollup_mark_payment_lines(payment_lines[], payment_lines[]);
CREATE FUNCTION rollup_mark_payment_lines(p_old payment_lines[], p_new payment_lines[]) RETURNS void
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  PERFORM 1 FROM applications a
  WHERE (a.tenant_id, a.id) IN (SELECT r.tenant_id, r.application_id FROM unnest(p_old || p_new) r
                                WHERE r.state IN ('paid', 'failed'))
  ORDER BY a.tenant_id, a.id FOR SHARE;
  INSERT INTO rollup_changes (tenant_id, month, program_code, metric, delta, payee_id)
  SELECT a.tenant_id, s.month, s.program_code, s.metric, sum(v.sign * s.value), s.payee_id
  FROM (SELECT o AS line, -1 AS sign FROM unnest(p_old) o WHERE o.state IN ('paid', 'failed')
        UNION ALL SELECT n, 1 FROM unnest(p_new) n WHERE n.state IN ('paid', 'failed')) v
  JOIN applications a ON a.tenant_id = (v.line).tenant_id AND a.id = (v.line).application_id,
  LATERAL rollup_line_shares(v.line, a) s
  GROUP BY a.tenant_id, s.month, s.program_code, s.metric, s.payee_id
  HAVING sum(v.sign * s.value) <> 0;
END
$$;

DROP FUNCTION rollup_paid_months(uuid, text, uuid, uuid);

-- A line moved to another award would move its shares too.
DROP TRIGGER rollup_updated ON payment_lines;
CREATE TRIGGER rollup_updated AFTER UPDATE ON payment_lines REFERENCING OLD TABLE AS old_rows
  NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_marked('state,resolved_at,amount_fen,application_id');

-- From now a mark recounts only cards, youth, grants and clawbacks; the payments' cells pending a
-- mark written under 0028, and the payees' months, are counted here once from every line
-- (migrations run with the application stopped), as the owner under the row security it forces.
SELECT set_config('app.tenant_ids', coalesce((SELECT string_agg(id::text, ',') FROM org_units), ''), true),
       set_config('app.write_tenant_ids', coalesce((SELECT string_agg(id::text, ',') FROM org_units), ''), true);
CREATE TEMPORARY TABLE rollup_line_shares_now ON COMMIT DROP AS
  SELECT l.tenant_id, s.*
  FROM payment_lines l JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id,
       LATERAL rollup_line_shares(l, a) s;
INSERT INTO rollup_payee_months (tenant_id, program_code, served, payee_id, month, paid_lines)
SELECT tenant_id, program_code, metric, payee_id, month, sum(value)
FROM rollup_line_shares_now WHERE payee_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5;
DELETE FROM rollup_cells
WHERE metric IN ('paid', 'paid_fen', 'failed_payments', 'people_served', 'enterprises_served')
   OR metric LIKE 'pay\_days:%';
INSERT INTO rollup_cells (tenant_id, month, program_code, metric, value)
SELECT tenant_id, month, program_code, metric, sum(value)
FROM rollup_line_shares_now WHERE payee_id IS NULL GROUP BY 1, 2, 3, 4 HAVING sum(value) <> 0
UNION ALL
SELECT tenant_id, month, program_code, served, count(*)
FROM (SELECT tenant_id, program_code, served, payee_id, min(month) AS month FROM rollup_payee_months
      GROUP BY 1, 2, 3, 4) first
GROUP BY 1, 2, 3, 4;
SELECT set_config('app.tenant_ids', '', true), set_config('app.write_tenant_ids', '', true);
