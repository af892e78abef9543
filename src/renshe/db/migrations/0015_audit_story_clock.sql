-- 0015 the demo's story clock for the audit log.
--
-- `renshe demo` / `renshe seed --demo` write a story of past weeks: every step runs at its
-- business instant (renshe.clock.story_at), and the rows it writes carry that instant. The audit
-- log's time is the database's, not the application's to choose — except while the demo seeds:
-- then audit_append takes the step's instant, so the auditor's list and a record's history tell
-- the same story as the applications and batches (an application is not audited weeks after its
-- timeline says it was submitted).
--
-- The switch is a one-row table only the owner writes: the demo seed opens it over an owner
-- connection for the time it seeds and closes it after (renshe.audit.story_clock). The
-- application role can neither read nor write it, so a real request (or a compromised web
-- process) cannot date a record: with the switch closed — every deployment that is not seeding a
-- demo — the instant is ignored and clock_timestamp() applies as before. Even open, an instant
-- later than the database's clock is ignored (nothing is dated in the future).
--
-- The chain does not need times in insertion order: `seq` orders it (the hash links each record
-- to the one before by seq, and verification walks seq), the auditor's list sorts by time with
-- (tenant, seq) to break ties, and a record's history reads newest seq first.

CREATE TABLE audit_story_clock (
  open       boolean PRIMARY KEY DEFAULT true CHECK (open),  -- one row: present = open
  opened_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON audit_story_clock TO renshe_audit_writer;  -- read inside audit_append only

-- The function belongs to renshe_audit_writer (0001): only its owner may replace it. The role
-- switch lasts to the end of this file's transaction (SET LOCAL), back to this session's own after.
SET LOCAL ROLE renshe_audit_writer;

DROP FUNCTION audit_append(uuid, uuid, text, text, text, text, text, jsonb, jsonb, text, text);

CREATE FUNCTION audit_append(
  p_tenant uuid, p_actor_user_id uuid, p_actor_username text, p_actor_role text,
  p_action text, p_object_type text, p_object_id text, p_before jsonb, p_after jsonb,
  p_request_id text, p_ip text, p_at timestamptz DEFAULT NULL
) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_prev audit_log%ROWTYPE;
  v_row  audit_log%ROWTYPE;
BEGIN
  IF p_tenant IS NULL OR p_action IS NULL OR p_action = '' THEN
    RAISE EXCEPTION 'audit_append: tenant and action are required';
  END IF;
  -- A transaction that may write some tenants may audit only those: district A's work cannot
  -- forge records into district B's chain. Global work (login, user admin, tenant sync) runs
  -- with no write context and records on the chain of the unit it concerns.
  IF app_write_tenants() IS NOT NULL AND NOT (p_tenant = ANY (app_write_tenants())) THEN
    RAISE EXCEPTION 'audit_append: tenant outside this transaction''s write context'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('audit:' || p_tenant::text, 0));
  SELECT * INTO v_prev FROM audit_log WHERE tenant_id = p_tenant ORDER BY seq DESC LIMIT 1;
  v_row.tenant_id := p_tenant;
  v_row.seq := coalesce(v_prev.seq, 0) + 1;
  v_row.id := gen_random_uuid();
  v_row.at := date_trunc('microseconds', clock_timestamp());
  -- the demo story's instant, only while the owner has the story clock open, never in the future
  IF p_at IS NOT NULL AND p_at < v_row.at THEN
    IF EXISTS (SELECT 1 FROM audit_story_clock) THEN
      v_row.at := date_trunc('microseconds', p_at);
    END IF;
  END IF;
  v_row.actor_user_id := p_actor_user_id;
  v_row.actor_username := p_actor_username;
  v_row.actor_role := p_actor_role;
  v_row.action := p_action;
  v_row.object_type := p_object_type;
  v_row.object_id := p_object_id;
  v_row.before := p_before;
  v_row.after := p_after;
  v_row.request_id := p_request_id;
  v_row.ip := p_ip;
  v_row.prev_hash := v_prev.hash;
  v_row.hash := audit_link_hash(v_prev.hash, audit_canonical(v_row));
  INSERT INTO audit_log VALUES (v_row.*);
  RETURN v_row.seq;
END
$$;
REVOKE ALL ON FUNCTION audit_append(uuid, uuid, text, text, text, text, text, jsonb, jsonb, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(uuid, uuid, text, text, text, text, text, jsonb, jsonb, text, text, timestamptz) TO renshe_app;
SET LOCAL ROLE NONE;  -- the migration runner records this file as its own login
