-- 0006 programs: the city's subsidy programs and their dated policy versions (补贴项目与政策版本).
-- Global reference data, not tenant tables: no citizen data lives here. District tuning stays in
-- org_units.settings['programs'] (tenants/*.toml) and is merged on top when a version is used.

CREATE TABLE programs (
  code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,62}$'),
  family      text NOT NULL CHECK (family IN ('employment', 'hkmo')),
  name_zh     text NOT NULL CHECK (name_zh <> ''),
  name_en     text NOT NULL CHECK (name_en <> ''),
  beneficiary text[] NOT NULL
              CHECK (cardinality(beneficiary) >= 1 AND beneficiary <@ ARRAY['person', 'enterprise']),
  status      text NOT NULL DEFAULT '',
  sort_order  integer NOT NULL DEFAULT 0,
  -- false when the catalogue no longer lists the program: kept, because awards point at it
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON programs TO renshe_app;
GRANT SELECT ON programs TO renshe_maint;

-- One row per version. A correction is a NEW row (same effective_from, higher version): the
-- version in force on a date is the one with the latest effective_from, then the highest
-- version, among those whose window contains the date. Rows are never changed or deleted, so an
-- award that recorded a version id can always show the exact terms it was judged by.
CREATE TABLE program_versions (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  program_code   text NOT NULL REFERENCES programs (code),
  version        integer NOT NULL CHECK (version >= 1),
  effective_from date NOT NULL,
  effective_to   date CHECK (effective_to IS NULL OR effective_to >= effective_from),  -- inclusive
  terms          jsonb NOT NULL CHECK (jsonb_typeof(terms) = 'object'),  -- canonical, money in fen
  digest         text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),  -- SHA-256 of the canonical terms
  created_at     timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT program_versions_number UNIQUE (program_code, version)
);
CREATE INDEX program_versions_in_force ON program_versions (program_code, effective_from DESC, version DESC);

CREATE FUNCTION program_versions_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'program versions are immutable: a change is a new version'
    USING ERRCODE = 'integrity_constraint_violation';
END
$$;
CREATE TRIGGER program_versions_immutable BEFORE UPDATE OR DELETE ON program_versions
  FOR EACH ROW EXECUTE FUNCTION program_versions_immutable();

GRANT SELECT, INSERT ON program_versions TO renshe_app;
GRANT SELECT ON program_versions TO renshe_maint;
