-- 0027 the rollups' change marks per statement, not per row (shared/spec/06-rollups.md).
--
-- 0025 marked the touched (district, month, program) cells with a row trigger: one insert into
-- rollup_changes per touched cell of every row. A bank file confirming 100,000 payment lines, or an
-- import of 10,000 applications, wrote hundreds of thousands of marks, most of them the same few
-- cells, and ran a look-up per row. Now one trigger per table and event reads the statement's
-- transition tables and writes each touched cell once; the cells a row touches are the same as
-- before (renshe.rollups.facts says what is counted where), so nothing else changes.
--
-- The fold reads a touched month's decisions and payments by a range of instants: under row
-- security an index on renshe_month(column) cannot serve it (date_trunc is not leakproof, so the
-- planner may not evaluate it before the row policy), and 0025's expression indexes go.
--
-- rollup_marked() is the one trigger function: it collects the rows the statement inserted or
-- deleted, or both versions of the rows it updated whose counted columns (the trigger's argument)
-- changed, and hands them to rollup_mark_<table>(rows), which names their cells. Those are
-- PL/pgSQL, not SQL functions, so that their plans are kept for the session: planned afresh at
-- every statement they cost 3.5 ms per UPDATE of a single application; kept, 0.3 ms (0.2 ms with
-- no rollup trigger at all).

DROP TRIGGER rollup_applications ON applications;
DROP TRIGGER rollup_applications_update ON applications;
DROP TRIGGER rollup_payment_lines ON payment_lines;
DROP TRIGGER rollup_payment_lines_update ON payment_lines;
DROP TRIGGER rollup_talent_cards ON talent_cards;
DROP TRIGGER rollup_talent_cards_update ON talent_cards;
DROP TRIGGER rollup_hkmo_youth ON hkmo_youth;
DROP TRIGGER rollup_hkmo_youth_update ON hkmo_youth;
DROP TRIGGER rollup_hkmo_grants ON hkmo_grants;
DROP TRIGGER rollup_hkmo_grants_update ON hkmo_grants;
DROP TRIGGER rollup_hkmo_clawbacks ON hkmo_clawbacks;
DROP FUNCTION rollup_applications_changed();
DROP FUNCTION rollup_payment_lines_changed();
DROP FUNCTION rollup_touch_line(uuid, uuid, text, timestamptz);
DROP FUNCTION rollup_talent_cards_changed();
DROP FUNCTION rollup_hkmo_youth_changed();
DROP FUNCTION rollup_hkmo_grants_changed();
DROP FUNCTION rollup_hkmo_clawbacks_changed();
DROP FUNCTION rollup_touch_beneficiary(uuid, text, uuid, uuid);
DROP FUNCTION rollup_touch(uuid, text, date);
DROP INDEX applications_rollup_decided;
DROP INDEX payment_lines_rollup;
CREATE INDEX applications_rollup_decided ON applications (tenant_id, program_code, decided_at)
  WHERE decided_at IS NOT NULL;
CREATE INDEX payment_lines_rollup ON payment_lines (tenant_id, resolved_at) WHERE state IN ('paid', 'failed');

CREATE FUNCTION rollup_marked() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  mark text := format('rollup_mark_%s', TG_TABLE_NAME);
  counted text[] := string_to_array(TG_ARGV[0], ',');
BEGIN
  IF TG_OP = 'INSERT' THEN
    EXECUTE format('SELECT %I(array(SELECT n::%I FROM new_rows n))', mark, TG_TABLE_NAME);
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format('SELECT %I(array(SELECT o::%I FROM old_rows o))', mark, TG_TABLE_NAME);
  ELSE
    -- an update that moved none of the counted columns touches no cell
    EXECUTE format(
      'SELECT %1$I(array(SELECT v.r FROM old_rows o JOIN new_rows n ON n.tenant_id = o.tenant_id AND n.id = o.id,'
      ' LATERAL (VALUES (o::%2$I), (n::%2$I)) AS v (r) WHERE (%3$s, NULL) IS DISTINCT FROM (%4$s, NULL)))',
      mark, TG_TABLE_NAME,
      (SELECT string_agg(format('o.%I', c), ', ') FROM unnest(counted) c),
      (SELECT string_agg(format('n.%I', c), ', ') FROM unnest(counted) c));
  END IF;
  RETURN NULL;
END $$;

-- Every month a beneficiary was paid in under a program: a payment that comes or goes may move the
-- month of their first one ("people served").
CREATE FUNCTION rollup_paid_months(p_tenant uuid, p_program text, p_person uuid, p_enterprise uuid)
RETURNS SETOF date LANGUAGE sql STABLE AS $$
  SELECT renshe_month(l.resolved_at)
  FROM applications a JOIN payment_lines l ON l.tenant_id = a.tenant_id AND l.application_id = a.id
  WHERE a.tenant_id = p_tenant AND a.program_code = p_program AND a.person_id = p_person
    AND l.state = 'paid' AND l.resolved_at IS NOT NULL
  UNION
  SELECT renshe_month(l.resolved_at)
  FROM applications a JOIN payment_lines l ON l.tenant_id = a.tenant_id AND l.application_id = a.id
  WHERE a.tenant_id = p_tenant AND a.program_code = p_program AND a.enterprise_id = p_enterprise
    AND l.state = 'paid' AND l.resolved_at IS NOT NULL
$$;

-- An application: its filing month and decision month. One whose program, submission or payee
-- changed (its two versions differ in them) also moves its payments: their months under both
-- programs. One paid whose program or payee changed moves its payees' first payments too.
CREATE FUNCTION rollup_mark_applications(p_rows applications[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH r AS (SELECT * FROM unnest(p_rows)),
  -- an updated award's two versions: do they differ in what its payments are counted by?
  changed AS (
    SELECT tenant_id, id,
           count(DISTINCT (program_code, submitted_at, person_id, enterprise_id)) > 1 AS payments,
           count(DISTINCT (program_code, person_id, enterprise_id)) > 1 AS payee
    FROM r GROUP BY 1, 2
  ),
  moved AS (
    SELECT r.*, c.payee FROM r JOIN changed c ON c.tenant_id = r.tenant_id AND c.id = r.id WHERE c.payments
  ),
  payee_moved AS (
    SELECT * FROM moved WHERE payee AND EXISTS (
      SELECT 1 FROM payment_lines l WHERE l.tenant_id = moved.tenant_id AND l.application_id = moved.id
        AND l.state = 'paid')
  ),
  touched (tenant_id, month, program_code) AS (
    SELECT r.tenant_id, v.month, r.program_code
    FROM r, LATERAL (VALUES (date_trunc('month', r.application_date)::date), (renshe_month(r.decided_at))) AS v (month)
    UNION ALL
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
CREATE FUNCTION rollup_mark_payment_lines(p_rows payment_lines[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  WITH counted AS (
    SELECT r.tenant_id, r.state, renshe_month(r.resolved_at) AS month, a.program_code, a.person_id, a.enterprise_id
    FROM unnest(p_rows) r JOIN applications a ON a.tenant_id = r.tenant_id AND a.id = r.application_id
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

CREATE FUNCTION rollup_mark_talent_cards(p_rows talent_cards[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, v.month, 'talent_card:' || r.tier
  FROM unnest(p_rows) r, LATERAL (VALUES (renshe_month(r.issued_at)), (renshe_month(r.ended_at))) AS v (month)
  WHERE v.month IS NOT NULL AND r.tier IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_hkmo_youth(p_rows hkmo_youth[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, date_trunc('month', r.registered_on)::date, 'hkmo_youth'
  FROM unnest(p_rows) r WHERE r.registered_on IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_hkmo_grants(p_rows hkmo_grants[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, renshe_month(r.decided_at), r.program_code
  FROM unnest(p_rows) r WHERE r.decided_at IS NOT NULL AND r.program_code IS NOT NULL;
END
$$;

CREATE FUNCTION rollup_mark_hkmo_clawbacks(p_rows hkmo_clawbacks[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT r.tenant_id, renshe_month(r.recorded_at), g.program_code
  FROM unnest(p_rows) r JOIN hkmo_grants g ON g.tenant_id = r.tenant_id AND g.id = r.grant_id
  WHERE r.recorded_at IS NOT NULL;
END
$$;

-- Three triggers per table (a trigger with transition tables fires on one event). The argument
-- lists the columns an update must change to touch a cell.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    ('applications', 'state,program_code,application_date,decided_at,amount_fen,submitted_at,person_id,enterprise_id'),
    ('payment_lines', 'state,resolved_at,amount_fen'),
    ('talent_cards', 'state,tier,issued_at,ended_at'),
    ('hkmo_youth', 'registered_on'),
    ('hkmo_grants', 'state,decided_at,amount_fen,program_code'),
    ('hkmo_clawbacks', 'recorded_at,amount_fen,grant_id')
  ) AS v (name, counted) LOOP
    EXECUTE format('CREATE TRIGGER rollup_inserted AFTER INSERT ON %I REFERENCING NEW TABLE AS new_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rollup_marked()', t.name);
    EXECUTE format('CREATE TRIGGER rollup_deleted AFTER DELETE ON %I REFERENCING OLD TABLE AS old_rows'
                   ' FOR EACH STATEMENT EXECUTE FUNCTION rollup_marked()', t.name);
    EXECUTE format('CREATE TRIGGER rollup_updated AFTER UPDATE ON %I REFERENCING OLD TABLE AS old_rows'
                   ' NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rollup_marked(%L)', t.name, t.counted);
  END LOOP;
END $$;
