-- 0009 city-wide claims (全市一次性 — 在途占用): an approved award holds its program for the
-- person, city-wide, from approval until it is paid (then the receipt in program_receipts takes
-- over) or ends unpaid (rejected after an objection, withdrawn, ...: the claim is released).
--
-- Why: two districts could otherwise both approve a once-per-lifetime program for the same
-- person in the same week and both pay it. Three layers, all in the database:
--   * approval takes a transaction advisory lock per document blind index (see
--     renshe.registry.citywide.serialise) before judging, so two approvals of the same person
--     anywhere in the city judge one after the other, and the later sees the earlier's claim;
--   * the gate document_received_program answers yes for a receipt OR a live claim;
--   * a city-wide partial unique index makes a second live claim of a once-per-lifetime program
--     on the same document impossible even if application code forgot the first two.
-- The unique index is deliberately NOT led by tenant_id: it is the one cross-district fact.

CREATE TABLE program_claims (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  program_code   text NOT NULL CHECK (program_code ~ '^[a-z0-9_.-]{1,64}$'),
  document_index bytea NOT NULL,
  application_id uuid NOT NULL,
  exclusive      boolean NOT NULL,          -- the program is once per lifetime, city-wide
  claimed_on     date NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT program_claims_once UNIQUE (tenant_id, application_id, document_index),
  FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id)
);
CREATE UNIQUE INDEX program_claims_exclusive ON program_claims (program_code, document_index)
  WHERE exclusive;
CREATE INDEX program_claims_lookup ON program_claims (document_index, program_code);
SELECT renshe_protect('program_claims');
GRANT SELECT, INSERT, DELETE ON program_claims TO renshe_app;
GRANT SELECT ON program_claims TO renshe_maint;

-- The gate reads the same two columns of claims as of receipts, plus tenant_id of both for the
-- "elsewhere" variant (never returned: the answer stays yes or no).
GRANT SELECT (document_index, program_code, tenant_id) ON program_claims TO renshe_program_gate;
GRANT SELECT (tenant_id) ON program_receipts TO renshe_program_gate;
CREATE POLICY program_gate_select ON program_claims FOR SELECT
  USING (current_user = 'renshe_program_gate');

-- Replacing needs the function's owner (the owner role is NOINHERIT: it becomes the gate role).
SET ROLE renshe_program_gate;
CREATE OR REPLACE FUNCTION document_received_program(p_index bytea, p_program text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM program_receipts WHERE document_index = p_index AND program_code = p_program
  ) OR EXISTS (
    SELECT 1 FROM program_claims WHERE document_index = p_index AND program_code = p_program
  )
$$;
SET ROLE renshe_owner;

-- Yes/no: received or claimed in a district other than p_tenant, which must be a district the
-- caller may read (so a district can ask only about itself, and learns nothing of which other).
CREATE FUNCTION document_received_program_elsewhere(p_index bytea, p_program text, p_tenant uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT p_tenant = ANY (coalesce(app_read_tenants(), '{}'::uuid[])) AND (
    EXISTS (SELECT 1 FROM program_receipts WHERE document_index = p_index
              AND program_code = p_program AND tenant_id <> p_tenant)
    OR EXISTS (SELECT 1 FROM program_claims WHERE document_index = p_index
              AND program_code = p_program AND tenant_id <> p_tenant))
$$;
ALTER FUNCTION document_received_program_elsewhere(bytea, text, uuid) OWNER TO renshe_program_gate;
REVOKE ALL ON FUNCTION document_received_program_elsewhere(bytea, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION document_received_program_elsewhere(bytea, text, uuid) TO renshe_app;

-- Release: an award that leaves the approved-and-unpaid states (paid, rejected, withdrawn, or
-- any end added later) gives its claim back, in the same statement, whoever changed it.
CREATE FUNCTION applications_release_claims() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM program_claims c USING changed n
   WHERE c.tenant_id = n.tenant_id AND c.application_id = n.id
     AND n.state NOT IN ('approved', 'in_notice', 'on_hold', 'ready', 'in_batch', 'payment_failed');
  RETURN NULL;
END
$$;
CREATE TRIGGER applications_release_claims AFTER UPDATE ON applications
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION applications_release_claims();
