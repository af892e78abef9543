-- 0014 numbers people can say on the phone (受理编号): applications, disbursement batches and
-- registry imports get  <prefix><district code>-<year>-<6-digit sequence>, e.g.
--   SQ440703-2026-000123 (申请), PF440703-2026-000045 (发放批次), DR440703-2026-000007 (导入).
--
-- Unique and gapless per (district, kind, year), also under concurrent creators:
--   * the counter is a row of record_numbers, taken by a BEFORE INSERT trigger with
--     INSERT … ON CONFLICT DO UPDATE … RETURNING in the inserting transaction. The row lock is held
--     to the commit, so concurrent creators of one district and kind take turns, and a rollback
--     gives the number back together with the row (a sequence would not: nextval is never undone);
--   * every insert path (services, workers, seeds, COPY, hand-written SQL) goes through the
--     trigger, and the trigger ignores whatever number the caller sent;
--   * UNIQUE (tenant_id, number) on each table, and the number never changes after the insert.
-- Numbers are never reused: the counter only grows, so a discarded import leaves its number unused.
-- Which year: the business date's where the row has one (applications.application_date,
-- disbursement_batches.business_date), else the creation date in Asia/Shanghai (imports).

CREATE TABLE record_numbers (
  tenant_id  uuid NOT NULL REFERENCES org_units (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  kind       text NOT NULL CHECK (kind IN ('SQ', 'PF', 'DR')),
  year       integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  last_value integer NOT NULL CHECK (last_value >= 1),     -- the last number handed out
  PRIMARY KEY (tenant_id, kind, year),
  UNIQUE (tenant_id, id)
);
SELECT renshe_protect('record_numbers');
GRANT SELECT, INSERT, UPDATE ON record_numbers TO renshe_app;
GRANT SELECT ON record_numbers TO renshe_maint;

CREATE FUNCTION record_number_format(p_kind text, p_code text, p_year integer, p_seq integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  -- lpad would cut a seventh digit off; past 999999 the number simply grows longer
  SELECT p_kind || p_code || '-' || p_year::text || '-'
         || CASE WHEN p_seq < 1000000 THEN lpad(p_seq::text, 6, '0') ELSE p_seq::text END
$$;

-- Runs with the caller's rights: the counter row is held to record_numbers' RLS like any tenant
-- row, so a transaction can only number rows of districts it may write.
CREATE FUNCTION record_number_take(p_tenant uuid, p_kind text, p_year integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_seq  integer;
  v_code text;
BEGIN
  INSERT INTO record_numbers AS r (tenant_id, kind, year, last_value)
  VALUES (p_tenant, p_kind, p_year, 1)
  ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last_value = r.last_value + 1
  RETURNING r.last_value INTO v_seq;
  SELECT code INTO STRICT v_code FROM org_units WHERE id = p_tenant;
  RETURN record_number_format(p_kind, v_code, p_year, v_seq);
END
$$;

CREATE FUNCTION applications_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.number := record_number_take(NEW.tenant_id, 'SQ', extract(year FROM NEW.application_date)::integer);
  RETURN NEW;
END
$$;

CREATE FUNCTION disbursement_batches_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.number := record_number_take(NEW.tenant_id, 'PF', extract(year FROM NEW.business_date)::integer);
  RETURN NEW;
END
$$;

CREATE FUNCTION import_batches_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.number := record_number_take(NEW.tenant_id, 'DR',
    extract(year FROM coalesce(NEW.created_at, now()) AT TIME ZONE 'Asia/Shanghai')::integer);
  RETURN NEW;
END
$$;

CREATE FUNCTION record_number_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%: the number of a row never changes (% → %)', TG_TABLE_NAME, OLD.number, NEW.number
    USING ERRCODE = 'check_violation';
END
$$;

-- ------------------------------------------------------------------ backfill, in created order

-- The migration runs as the owner, who is held to RLS too: open every district for this transaction.
SELECT set_config('app.tenant_ids', string_agg(id::text, ','), true),
       set_config('app.write_tenant_ids', string_agg(id::text, ','), true)
FROM org_units;

ALTER TABLE applications ADD COLUMN number text;
ALTER TABLE disbursement_batches ADD COLUMN number text;
ALTER TABLE import_batches ADD COLUMN number text;

CREATE TEMPORARY TABLE backfill ON COMMIT DROP AS
  SELECT 'applications' AS tbl, tenant_id, id, 'SQ' AS kind,
         extract(year FROM application_date)::integer AS year, created_at
  FROM applications
  UNION ALL
  SELECT 'disbursement_batches', tenant_id, id, 'PF', extract(year FROM business_date)::integer, created_at
  FROM disbursement_batches
  UNION ALL
  SELECT 'import_batches', tenant_id, id, 'DR',
         extract(year FROM created_at AT TIME ZONE 'Asia/Shanghai')::integer, created_at
  FROM import_batches;

CREATE TEMPORARY TABLE backfill_numbered ON COMMIT DROP AS
  SELECT b.tbl, b.tenant_id, b.id, b.kind, b.year,
         row_number() OVER (PARTITION BY b.tenant_id, b.kind, b.year ORDER BY b.created_at, b.id)::integer AS seq,
         o.code
  FROM backfill b JOIN org_units o ON o.id = b.tenant_id;

UPDATE applications t SET number = record_number_format(n.kind, n.code, n.year, n.seq)
FROM backfill_numbered n WHERE n.tbl = 'applications' AND n.tenant_id = t.tenant_id AND n.id = t.id;
UPDATE disbursement_batches t SET number = record_number_format(n.kind, n.code, n.year, n.seq)
FROM backfill_numbered n WHERE n.tbl = 'disbursement_batches' AND n.tenant_id = t.tenant_id AND n.id = t.id;
UPDATE import_batches t SET number = record_number_format(n.kind, n.code, n.year, n.seq)
FROM backfill_numbered n WHERE n.tbl = 'import_batches' AND n.tenant_id = t.tenant_id AND n.id = t.id;

INSERT INTO record_numbers (tenant_id, kind, year, last_value)
SELECT tenant_id, kind, year, max(seq) FROM backfill_numbered GROUP BY tenant_id, kind, year;

-- ------------------------------------------------------------------ constraints and triggers

ALTER TABLE applications ALTER COLUMN number SET NOT NULL,
  ADD CONSTRAINT applications_number UNIQUE (tenant_id, number);
ALTER TABLE disbursement_batches ALTER COLUMN number SET NOT NULL,
  ADD CONSTRAINT disbursement_batches_number UNIQUE (tenant_id, number);
ALTER TABLE import_batches ALTER COLUMN number SET NOT NULL,
  ADD CONSTRAINT import_batches_number UNIQUE (tenant_id, number);

CREATE TRIGGER applications_number BEFORE INSERT ON applications
  FOR EACH ROW EXECUTE FUNCTION applications_number();
CREATE TRIGGER disbursement_batches_number BEFORE INSERT ON disbursement_batches
  FOR EACH ROW EXECUTE FUNCTION disbursement_batches_number();
CREATE TRIGGER import_batches_number BEFORE INSERT ON import_batches
  FOR EACH ROW EXECUTE FUNCTION import_batches_number();

CREATE TRIGGER applications_number_immutable BEFORE UPDATE OF number ON applications
  FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number) EXECUTE FUNCTION record_number_immutable();
CREATE TRIGGER disbursement_batches_number_immutable BEFORE UPDATE OF number ON disbursement_batches
  FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number) EXECUTE FUNCTION record_number_immutable();
CREATE TRIGGER import_batches_number_immutable BEFORE UPDATE OF number ON import_batches
  FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number) EXECUTE FUNCTION record_number_immutable();
