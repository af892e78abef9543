-- 0025 city-level rollups (市级汇总, shared/spec/06-rollups.md).
--
-- rollup_cells: one row per district × month × program (or card tier, or 'hkmo_youth') × metric,
-- an integer (a count or fen). Exact, and additive: the city's figure is the sum of its districts',
-- a quarter's the sum of its months' — the processing-time percentiles too, because the days from
-- submission to payment are kept as an exact histogram (metric 'pay_days:<n>', n = 0…365, 366 =
-- more than a year), which adds up across districts and months before p50 and p90 are read.
--
-- rollup_changes: which cells a change touched. A row trigger on every table a metric is counted
-- from appends (district, month, program) for the row's old and new values, in the clerk's own
-- transaction (one small insert; the rollups themselves are never touched in a request). The
-- rollups.fold job recomputes exactly those cells from the source rows and deletes the change
-- rows in the same transaction, under a per-district advisory lock: a fold run twice, or killed
-- half-way, never counts twice. renshe.rollups.facts holds the one query that computes a cell.
--
-- Months are Shanghai months: a payment at 23:30 on the 31st (UTC+8) belongs to that month.

CREATE FUNCTION renshe_month(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT date_trunc('month', t AT TIME ZONE 'Asia/Shanghai')::date $$;
CREATE FUNCTION renshe_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (t AT TIME ZONE 'Asia/Shanghai')::date $$;
GRANT EXECUTE ON FUNCTION renshe_month(timestamptz), renshe_day(timestamptz) TO renshe_app, renshe_maint;

CREATE TABLE rollup_cells (
  tenant_id    uuid NOT NULL REFERENCES org_units (id),
  month        date NOT NULL CHECK (extract(day FROM month) = 1),
  program_code text NOT NULL CHECK (program_code ~ '^[a-z0-9_:A-Z]{1,60}$'),
  metric       text NOT NULL CHECK (metric ~ '^[a-z_]{1,40}(:[a-z0-9_]{1,20})?$'),
  value        bigint NOT NULL,
  id           uuid NOT NULL DEFAULT gen_random_uuid(),   -- a handle for tools; the key is the cell
  PRIMARY KEY (tenant_id, month, program_code, metric)
);
SELECT renshe_protect('rollup_cells');
GRANT SELECT, INSERT, DELETE ON rollup_cells TO renshe_app;
GRANT SELECT ON rollup_cells TO renshe_maint;

CREATE TABLE rollup_changes (
  tenant_id    uuid NOT NULL REFERENCES org_units (id),
  id           bigint GENERATED ALWAYS AS IDENTITY,      -- the order changes were made in
  month        date NOT NULL,
  program_code text NOT NULL,
  changed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id)
);
SELECT renshe_protect('rollup_changes');
GRANT SELECT, INSERT, DELETE ON rollup_changes TO renshe_app;
GRANT SELECT ON rollup_changes TO renshe_maint;

-- When each district was last folded (the "as of" of its rollups when nothing is pending).
CREATE TABLE rollup_folds (
  tenant_id     uuid PRIMARY KEY REFERENCES org_units (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  folded_at     timestamptz NOT NULL,
  recomputed_at timestamptz
);
SELECT renshe_protect('rollup_folds');
GRANT SELECT, INSERT, UPDATE ON rollup_folds TO renshe_app;
GRANT SELECT ON rollup_folds TO renshe_maint;

-- ------------------------------------------------------------------ marking the touched cells

CREATE FUNCTION rollup_touch(p_tenant uuid, p_program text, p_month date) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT p_tenant, p_month, p_program WHERE p_month IS NOT NULL AND p_program IS NOT NULL
$$;

-- A beneficiary's first paid month under a program decides "people served": a payment that
-- comes or goes may move it, so every month the beneficiary was paid in is touched.
CREATE FUNCTION rollup_touch_beneficiary(p_tenant uuid, p_program text, p_person uuid, p_enterprise uuid)
RETURNS void LANGUAGE sql AS $$
  INSERT INTO rollup_changes (tenant_id, month, program_code)
  SELECT DISTINCT p_tenant, renshe_month(l.resolved_at), p_program
  FROM applications a JOIN payment_lines l ON l.tenant_id = a.tenant_id AND l.application_id = a.id
  WHERE a.tenant_id = p_tenant AND a.program_code = p_program AND l.state = 'paid' AND l.resolved_at IS NOT NULL
    AND ((p_person IS NOT NULL AND a.person_id = p_person) OR (p_enterprise IS NOT NULL AND a.enterprise_id = p_enterprise))
$$;

-- Each trigger marks the cells of the row as it was (UPDATE, DELETE) and as it is (INSERT, UPDATE).
CREATE FUNCTION rollup_applications_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM rollup_touch(OLD.tenant_id, OLD.program_code, date_trunc('month', OLD.application_date)::date);
    PERFORM rollup_touch(OLD.tenant_id, OLD.program_code, renshe_month(OLD.decided_at));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rollup_touch(NEW.tenant_id, NEW.program_code, date_trunc('month', NEW.application_date)::date);
    PERFORM rollup_touch(NEW.tenant_id, NEW.program_code, renshe_month(NEW.decided_at));
  END IF;
  -- the days to pay count from submission, and a payment belongs to its award's program and payee
  IF TG_OP = 'UPDATE' AND (OLD.program_code IS DISTINCT FROM NEW.program_code
                           OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at
                           OR OLD.person_id IS DISTINCT FROM NEW.person_id
                           OR OLD.enterprise_id IS DISTINCT FROM NEW.enterprise_id) THEN
    INSERT INTO rollup_changes (tenant_id, month, program_code)
    SELECT DISTINCT l.tenant_id, renshe_month(l.resolved_at), p.program_code
    FROM payment_lines l, (VALUES (OLD.program_code), (NEW.program_code)) AS p (program_code)
    WHERE l.tenant_id = NEW.tenant_id AND l.application_id = NEW.id AND l.resolved_at IS NOT NULL;
    PERFORM rollup_touch_beneficiary(OLD.tenant_id, OLD.program_code, OLD.person_id, OLD.enterprise_id);
    PERFORM rollup_touch_beneficiary(NEW.tenant_id, NEW.program_code, NEW.person_id, NEW.enterprise_id);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rollup_applications AFTER INSERT OR DELETE ON applications
  FOR EACH ROW EXECUTE FUNCTION rollup_applications_changed();
CREATE TRIGGER rollup_applications_update AFTER UPDATE ON applications FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.program_code IS DISTINCT FROM NEW.program_code
        OR OLD.application_date IS DISTINCT FROM NEW.application_date OR OLD.decided_at IS DISTINCT FROM NEW.decided_at
        OR OLD.amount_fen IS DISTINCT FROM NEW.amount_fen OR OLD.submitted_at IS DISTINCT FROM NEW.submitted_at
        OR OLD.person_id IS DISTINCT FROM NEW.person_id OR OLD.enterprise_id IS DISTINCT FROM NEW.enterprise_id)
  EXECUTE FUNCTION rollup_applications_changed();

-- A line's cells: its month under its award's program; and, paid, every month its payee was paid in.
CREATE FUNCTION rollup_touch_line(p_tenant uuid, p_application uuid, p_state text, p_resolved timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE a record;
BEGIN
  IF p_state NOT IN ('paid', 'failed') THEN
    RETURN;
  END IF;
  SELECT program_code, person_id, enterprise_id INTO a FROM applications WHERE tenant_id = p_tenant AND id = p_application;
  PERFORM rollup_touch(p_tenant, a.program_code, renshe_month(p_resolved));
  IF p_state = 'paid' THEN
    PERFORM rollup_touch_beneficiary(p_tenant, a.program_code, a.person_id, a.enterprise_id);
  END IF;
END $$;

CREATE FUNCTION rollup_payment_lines_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM rollup_touch_line(OLD.tenant_id, OLD.application_id, OLD.state, OLD.resolved_at);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rollup_touch_line(NEW.tenant_id, NEW.application_id, NEW.state, NEW.resolved_at);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rollup_payment_lines AFTER INSERT OR DELETE ON payment_lines
  FOR EACH ROW EXECUTE FUNCTION rollup_payment_lines_changed();
CREATE TRIGGER rollup_payment_lines_update AFTER UPDATE ON payment_lines FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.resolved_at IS DISTINCT FROM NEW.resolved_at
        OR OLD.amount_fen IS DISTINCT FROM NEW.amount_fen)
  EXECUTE FUNCTION rollup_payment_lines_changed();

CREATE FUNCTION rollup_talent_cards_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM rollup_touch(OLD.tenant_id, 'talent_card:' || OLD.tier, renshe_month(OLD.issued_at));
    PERFORM rollup_touch(OLD.tenant_id, 'talent_card:' || OLD.tier, renshe_month(OLD.ended_at));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rollup_touch(NEW.tenant_id, 'talent_card:' || NEW.tier, renshe_month(NEW.issued_at));
    PERFORM rollup_touch(NEW.tenant_id, 'talent_card:' || NEW.tier, renshe_month(NEW.ended_at));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rollup_talent_cards AFTER INSERT OR DELETE ON talent_cards
  FOR EACH ROW EXECUTE FUNCTION rollup_talent_cards_changed();
CREATE TRIGGER rollup_talent_cards_update AFTER UPDATE ON talent_cards FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.tier IS DISTINCT FROM NEW.tier
        OR OLD.issued_at IS DISTINCT FROM NEW.issued_at OR OLD.ended_at IS DISTINCT FROM NEW.ended_at)
  EXECUTE FUNCTION rollup_talent_cards_changed();

CREATE FUNCTION rollup_hkmo_youth_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM rollup_touch(OLD.tenant_id, 'hkmo_youth', date_trunc('month', OLD.registered_on)::date);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rollup_touch(NEW.tenant_id, 'hkmo_youth', date_trunc('month', NEW.registered_on)::date);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rollup_hkmo_youth AFTER INSERT OR DELETE ON hkmo_youth
  FOR EACH ROW EXECUTE FUNCTION rollup_hkmo_youth_changed();
CREATE TRIGGER rollup_hkmo_youth_update AFTER UPDATE ON hkmo_youth FOR EACH ROW
  WHEN (OLD.registered_on IS DISTINCT FROM NEW.registered_on)
  EXECUTE FUNCTION rollup_hkmo_youth_changed();

CREATE FUNCTION rollup_hkmo_grants_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM rollup_touch(OLD.tenant_id, OLD.program_code, renshe_month(OLD.decided_at));
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rollup_touch(NEW.tenant_id, NEW.program_code, renshe_month(NEW.decided_at));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rollup_hkmo_grants AFTER INSERT OR DELETE ON hkmo_grants
  FOR EACH ROW EXECUTE FUNCTION rollup_hkmo_grants_changed();
CREATE TRIGGER rollup_hkmo_grants_update AFTER UPDATE ON hkmo_grants FOR EACH ROW
  WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.decided_at IS DISTINCT FROM NEW.decided_at
        OR OLD.amount_fen IS DISTINCT FROM NEW.amount_fen OR OLD.program_code IS DISTINCT FROM NEW.program_code)
  EXECUTE FUNCTION rollup_hkmo_grants_changed();

CREATE FUNCTION rollup_hkmo_clawbacks_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM rollup_touch(OLD.tenant_id, g.program_code, renshe_month(OLD.recorded_at))
    FROM hkmo_grants g WHERE g.tenant_id = OLD.tenant_id AND g.id = OLD.grant_id;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM rollup_touch(NEW.tenant_id, g.program_code, renshe_month(NEW.recorded_at))
    FROM hkmo_grants g WHERE g.tenant_id = NEW.tenant_id AND g.id = NEW.grant_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER rollup_hkmo_clawbacks AFTER INSERT OR UPDATE OR DELETE ON hkmo_clawbacks
  FOR EACH ROW EXECUTE FUNCTION rollup_hkmo_clawbacks_changed();

-- ------------------------------------------------------------------ what a cell's recount reads

CREATE INDEX applications_rollup_filed ON applications (tenant_id, program_code, application_date);
CREATE INDEX applications_rollup_decided ON applications (tenant_id, program_code, renshe_month(decided_at))
  WHERE decided_at IS NOT NULL;
CREATE INDEX payment_lines_rollup ON payment_lines (tenant_id, renshe_month(resolved_at))
  WHERE state IN ('paid', 'failed');
CREATE INDEX talent_cards_rollup_issued ON talent_cards (tenant_id, tier, renshe_month(issued_at));
CREATE INDEX talent_cards_rollup_ended ON talent_cards (tenant_id, tier, renshe_month(ended_at))
  WHERE ended_at IS NOT NULL;
CREATE INDEX hkmo_grants_rollup ON hkmo_grants (tenant_id, program_code, renshe_month(decided_at))
  WHERE decided_at IS NOT NULL;
CREATE INDEX hkmo_clawbacks_rollup ON hkmo_clawbacks (tenant_id, renshe_month(recorded_at));

-- ------------------------------------------------------------------ the history already recorded

-- Every cell the existing records touch is marked once, so the first folds count the history of
-- a database upgraded to this version (a new one has none). The migration reads and writes every
-- unit's rows, as the owner, under the row security it forces: for this transaction only.
SELECT set_config('app.tenant_ids', coalesce((SELECT string_agg(id::text, ',') FROM org_units), ''), true),
       set_config('app.write_tenant_ids', coalesce((SELECT string_agg(id::text, ',') FROM org_units), ''), true);
INSERT INTO rollup_changes (tenant_id, month, program_code)
SELECT DISTINCT tenant_id, month, program_code FROM (
  SELECT tenant_id, date_trunc('month', application_date)::date AS month, program_code FROM applications
  UNION SELECT tenant_id, renshe_month(decided_at), program_code FROM applications WHERE decided_at IS NOT NULL
  UNION SELECT l.tenant_id, renshe_month(l.resolved_at), a.program_code
        FROM payment_lines l JOIN applications a ON a.tenant_id = l.tenant_id AND a.id = l.application_id
        WHERE l.resolved_at IS NOT NULL
  UNION SELECT tenant_id, renshe_month(issued_at), 'talent_card:' || tier FROM talent_cards
  UNION SELECT tenant_id, renshe_month(ended_at), 'talent_card:' || tier FROM talent_cards WHERE ended_at IS NOT NULL
  UNION SELECT tenant_id, date_trunc('month', registered_on)::date, 'hkmo_youth' FROM hkmo_youth
  UNION SELECT tenant_id, renshe_month(decided_at), program_code FROM hkmo_grants WHERE decided_at IS NOT NULL
  UNION SELECT c.tenant_id, renshe_month(c.recorded_at), g.program_code
        FROM hkmo_clawbacks c JOIN hkmo_grants g ON g.tenant_id = c.tenant_id AND g.id = c.grant_id
) touched;
SELECT set_config('app.tenant_ids', '', true), set_config('app.write_tenant_ids', '', true);
