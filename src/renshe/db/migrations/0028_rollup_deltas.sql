-- 0028 the applications' filed and decided counts are folded by deltas (shared/spec/06-rollups.md).
--
-- Until now every change named the (district, month, program) cells it touched, and the fold
-- counted those cells afresh: its cost was what the touched months hold, not what changed — in a
-- district with a million applications a fold of this month's 1,000 submissions re-read the
-- month's thousands of decisions and payments too (13.5× the same fold in a small district).
--
-- An application's filed and decided counts ('applications', 'applications:<state>', 'approved',
-- 'approved_fen') depend on the application's own row and nothing else. So its trigger now writes
-- what the statement changed in them: each old version's contribution taken away, each new one's
-- added, summed per cell — a change row with a metric and a delta. The fold adds the deltas to the
-- cells; it reads no history. Exact under concurrency: every row version is replaced by exactly
-- one statement of the transaction that commits it, and a rolled-back statement's deltas roll back
-- with it.
--
-- The other families (payments, first payments, cards, youth, grants, clawbacks) are counted from
-- several rows (a payment from its line and its award; a first payment from all of a payee's
-- lines), so they keep being marked and recounted: a mark is a change row without a metric. A
-- fold recounts only those families for a mark, never the delta-kept metrics, so a delta and a
-- recount can never both count one change.

ALTER TABLE rollup_changes
  ADD COLUMN metric text CHECK (metric ~ '^[a-z_]{1,40}(:[a-z0-9_]{1,20})?$'),
  ADD COLUMN delta bigint,
  ADD CONSTRAINT rollup_changes_delta_has_metric CHECK ((metric IS NULL) = (delta IS NULL));
-- the fold adds deltas to the cells it keeps
GRANT UPDATE ON rollup_cells TO renshe_app;

-- The marks pending now were written when a mark recounted every family; from now a mark does not
-- recount the delta-kept ones. Those are counted here once for the cells still marked (migrations
-- run with the application stopped, so nothing changes meanwhile), as the owner, under the row
-- security it forces: for this transaction only.
SELECT set_config('app.tenant_ids', coalesce((SELECT string_agg(id::text, ',') FROM org_units), ''), true),
       set_config('app.write_tenant_ids', coalesce((SELECT string_agg(id::text, ',') FROM org_units), ''), true);
CREATE TEMPORARY TABLE rollup_marked_before ON COMMIT DROP AS
  SELECT DISTINCT tenant_id, month, program_code FROM rollup_changes;
DELETE FROM rollup_cells c USING rollup_marked_before m
WHERE c.tenant_id = m.tenant_id AND c.month = m.month AND c.program_code = m.program_code
  AND (c.metric = 'applications' OR c.metric LIKE 'applications:%' OR c.metric IN ('approved', 'approved_fen'));
INSERT INTO rollup_cells (tenant_id, month, program_code, metric, value)
SELECT f.tenant_id, f.month, f.program_code, f.metric, f.value
FROM (
  SELECT a.tenant_id, date_trunc('month', a.application_date)::date AS month, a.program_code, m.metric,
         count(*) AS value
  FROM applications a, LATERAL (VALUES ('applications'), ('applications:' || a.state)) AS m (metric)
  WHERE a.state <> 'draft' GROUP BY 1, 2, 3, 4
  UNION ALL
  SELECT a.tenant_id, renshe_month(a.decided_at), a.program_code, m.metric, sum(m.value)
  FROM applications a, LATERAL (VALUES ('approved', 1::bigint), ('approved_fen', a.amount_fen::bigint)) AS m (metric, value)
  WHERE a.decided_at IS NOT NULL
    AND a.state IN ('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'paid', 'payment_failed')
  GROUP BY 1, 2, 3, 4
) f
JOIN rollup_marked_before m ON m.tenant_id = f.tenant_id AND m.month = f.month AND m.program_code = f.program_code
WHERE f.value <> 0 AND EXISTS (SELECT 1 FROM rollup_marked_before);
SELECT set_config('app.tenant_ids', '', true), set_config('app.write_tenant_ids', '', true);

-- The trigger function now hands the old and the new versions over apart: a delta needs to know
-- which is which.
DROP FUNCTION rollup_mark_applications(applications[]);
DROP FUNCTION rollup_mark_payment_lines(payment_lines[]);
DROP FUNCTION rollup_mark_talent_cards(talent_cards[]);
DROP FUNCTION rollup_mark_hkmo_youth(hkmo_youth[]);
DROP FUNCTION rollup_mark_hkmo_grants(hkmo_grants[]);
DROP FUNCTION rollup_mark_hkmo_clawbacks(hkmo_clawbacks[]);

CREATE OR REPLACE FUNCTION rollup_marked() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  mark text := format('rollup_mark_%s', TG_TABLE_NAME);
  counted text[] := string_to_array(TG_ARGV[0], ',');
  moved text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE format('SELECT %1$I(''{}''::%2$I[], array(SELECT n::%2$I FROM new_rows n))', mark, TG_TABLE_NAME);
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT %1$I(array(SELECT o::%2$I FROM old_rows o), ''{}''::%2$I[])', mark, TG_TABLE_NAME);
  ELSE
    -- an update that moved none of the counted columns touches no cell
    moved := format('old_rows o JOIN new_rows n ON n.tenant_id = o.tenant_id AND n.id = o.id'
                    ' WHERE (%s, NULL) IS DISTINCT FROM (%s, NULL)',
                    (SELECT string_agg(format('o.%I', c), ', ') FROM unnest(counted) c),
                    (SELECT string_agg(format('n.%I', c), ', ') FROM unnest(counted) c));
    EXECUTE format('SELECT %1$I(array(SELECT o::%2$I FROM %3$s), array(SELECT n::%2$I FROM %3$s))',
                   mark, TG_TABLE_NAME, moved);
  END IF;
  RETURN NULL;
END $$;

-- An application: what its versions add to the filed and decided counts, as deltas. One whose
-- program, payee or submission (its decision when it has none) changed also moves its payments:
-- their months under both programs are marked; one paid whose program or payee changed moves its
-- payees' first payments too.
CREATE FUNCTION rollup_mark_applications(p_old applications[], p_new applications[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code, metric, delta)
  SELECT r.tenant_id, v.month, r.program_code, v.metric, sum(r.sign * v.value)
  FROM (SELECT o.*, -1 AS sign FROM unnest(p_old) o UNION ALL SELECT n.*, 1 FROM unnest(p_new) n) r,
  LATERAL (
    SELECT date_trunc('month', r.application_date)::date, 'applications', 1::bigint WHERE r.state <> 'draft'
    UNION ALL
    SELECT date_trunc('month', r.application_date)::date, 'applications:' || r.state, 1 WHERE r.state <> 'draft'
    UNION ALL
    SELECT renshe_month(r.decided_at), m.metric, m.value
    FROM (VALUES ('approved', 1::bigint), ('approved_fen', r.amount_fen::bigint)) AS m (metric, value)
    WHERE r.decided_at IS NOT NULL
      AND r.state IN ('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'paid', 'payment_failed')
  ) AS v (month, metric, value)
  WHERE v.month IS NOT NULL AND r.program_code IS NOT NULL
  GROUP BY r.tenant_id, v.month, r.program_code, v.metric
  HAVING sum(r.sign * v.value) <> 0;

  WITH moved AS (
    -- both versions of an award whose payments are now counted under another program, payee or day
    SELECT v.*, (o.program_code, o.person_id, o.enterprise_id)
                IS DISTINCT FROM (n.program_code, n.person_id, n.enterprise_id) AS payee
    FROM unnest(p_old) o JOIN unnest(p_new) n ON n.tenant_id = o.tenant_id AND n.id = o.id,
    LATERAL (VALUES (o.tenant_id, o.id, o.program_code, o.person_id, o.enterprise_id),
                    (n.tenant_id, n.id, n.program_code, n.person_id, n.enterprise_id))
      AS v (tenant_id, id, program_code, person_id, enterprise_id)
    WHERE (o.program_code, o.person_id, o.enterprise_id, coalesce(o.submitted_at, o.decided_at))
          IS DISTINCT FROM (n.program_code, n.person_id, n.enterprise_id, coalesce(n.submitted_at, n.decided_at))
  ),
  payee_moved AS (
    SELECT * FROM moved WHERE payee AND EXISTS (
      SELECT 1 FROM payment_lines l WHERE l.tenant_id = moved.tenant_id AND l.application_id = moved.id
        AND l.state = 'paid')
  ),
  touched (tenant_id, month, program_code) AS (
    -- its lines paid or failed (the ones counted), each state through its own index
    SELECT moved.tenant_id, l.month, moved.program_code
    FROM moved, LATERAL (
      SELECT renshe_month(x.resolved_at) FROM payment_lines x
      WHERE x.tenant_id = moved.tenant_id AND x.application_id = moved.id AND x.state = 'paid'
      UNION ALL
      SELECT renshe_month(x.resolved_at) FROM payment_lines x
      WHERE x.tenant_id = moved.tenant_id AND x.application_id = moved.id AND x.state = 'failed'
    ) AS l (month)
    UNION ALL
    SELECT b.tenant_id, p.month, b.program_code
    FROM (SELECT DISTINCT tenant_id, program_code, person_id, enterprise_id FROM payee_moved) b,
         LATERAL rollup_paid_months(b.tenant_id, b.program_code, b.person_id, b.enterprise_id) AS p (month)
  )
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT tenant_id, month, program_code FROM touched WHERE month IS NOT NULL AND program_code IS NOT NULL;
END
$$;

-- A payment line paid or failed: its month under its award's program; paid, every month its payee
-- was paid in.
CREATE FUNCTION rollup_mark_payment_lines(p_old payment_lines[], p_new payment_lines[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH counted AS (
    SELECT r.tenant_id, r.state, renshe_month(r.resolved_at) AS month, a.program_code, a.person_id, a.enterprise_id
    FROM unnest(p_old || p_new) r JOIN applications a ON a.tenant_id = r.tenant_id AND a.id = r.application_id
    WHERE r.state IN ('paid', 'failed')
  ),
  touched (tenant_id, month, program_code) AS (
    SELECT tenant_id, month, program_code FROM counted
    UNION ALL
    SELECT b.tenant_id, p.month, b.program_code
    FROM (SELECT DISTINCT tenant_id, program_code, person_id, enterprise_id FROM counted WHERE state = 'paid') b,
         LATERAL rollup_paid_months(b.tenant_id, b.program_code, b.person_id, b.enterprise_id) AS p (month)
  )
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT tenant_id, month, program_code FROM touched WHERE month IS NOT NULL AND program_code IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_talent_cards(p_old talent_cards[], p_new talent_cards[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, v.month, 'talent_card:' || r.tier
  FROM unnest(p_old || p_new) r,
       LATERAL (VALUES (renshe_month(r.issued_at)), (renshe_month(r.ended_at))) AS v (month)
  WHERE v.month IS NOT NULL AND r.tier IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_hkmo_youth(p_old hkmo_youth[], p_new hkmo_youth[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, date_trunc('month', r.registered_on)::date, 'hkmo_youth'
  FROM unnest(p_old || p_new) r WHERE r.registered_on IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_hkmo_grants(p_old hkmo_grants[], p_new hkmo_grants[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, renshe_month(r.decided_at), r.program_code
  FROM unnest(p_old || p_new) r WHERE r.decided_at IS NOT NULL AND r.program_code IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_hkmo_clawbacks(p_old hkmo_clawbacks[], p_new hkmo_clawbacks[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, renshe_month(r.recorded_at), g.program_code
  FROM unnest(p_old || p_new) r JOIN hkmo_grants g ON g.tenant_id = r.tenant_id AND g.id = r.grant_id
  WHERE r.recorded_at IS NOT NULL;
END
$$;
