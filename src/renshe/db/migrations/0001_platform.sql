-- 0001 platform: tenancy helpers, org units, accounts, audit log, jobs.
-- Runs as renshe_owner. Roles renshe_app, renshe_maint, renshe_audit_writer and renshe_dispatch
-- exist before this file runs (created by `renshe migrate`).

REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO renshe_app, renshe_maint, renshe_audit_writer, renshe_dispatch;

-- The tenant context of the current transaction. set_config(..., true) is transaction-local;
-- NULLIF turns an unset or empty setting into NULL, and `x = ANY(NULL)` is never true, so a
-- transaction without a context sees zero rows.
CREATE FUNCTION app_read_tenants() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT string_to_array(NULLIF(current_setting('app.tenant_ids', true), ''), ',')::uuid[]
$$;

CREATE FUNCTION app_write_tenants() RETURNS uuid[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT string_to_array(NULLIF(current_setting('app.write_tenant_ids', true), ''), ',')::uuid[]
$$;

-- Enable and force row-level security on a tenant table with one policy per command. Reads use
-- the read set (a city user's subtree); writes use the write set (empty for city users).
CREATE FUNCTION renshe_protect(tbl regclass) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_select ON %s FOR SELECT USING (tenant_id = ANY ((SELECT app_read_tenants())::uuid[]))', tbl);
  EXECUTE format('CREATE POLICY tenant_insert ON %s FOR INSERT WITH CHECK (tenant_id = ANY ((SELECT app_write_tenants())::uuid[]))', tbl);
  EXECUTE format('CREATE POLICY tenant_update ON %s FOR UPDATE USING (tenant_id = ANY ((SELECT app_write_tenants())::uuid[])) WITH CHECK (tenant_id = ANY ((SELECT app_write_tenants())::uuid[]))', tbl);
  EXECUTE format('CREATE POLICY tenant_delete ON %s FOR DELETE USING (tenant_id = ANY ((SELECT app_write_tenants())::uuid[]))', tbl);
END
$$;

-- ------------------------------------------------------------------ org units (global)

CREATE TABLE org_units (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9_-]{1,62}$'),
  code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{6}$'),
  kind        text NOT NULL CHECK (kind IN ('province', 'city', 'district')),
  parent_id   uuid REFERENCES org_units (id),
  name_zh     text NOT NULL,
  name_en     text NOT NULL,
  active      boolean NOT NULL DEFAULT true,
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  source_file text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON org_units TO renshe_app, renshe_maint, renshe_dispatch;
GRANT INSERT, UPDATE ON org_units TO renshe_app;

-- ------------------------------------------------------------------ accounts (global)

CREATE TABLE users (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  username            text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
  display_name        text NOT NULL DEFAULT '',
  org_unit_id         uuid NOT NULL REFERENCES org_units (id),
  password_hash       text NOT NULL,
  password_history    text[] NOT NULL DEFAULT '{}',
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  must_change_password boolean NOT NULL DEFAULT false,
  totp_secret_enc     text,
  failed_logins       integer NOT NULL DEFAULT 0,
  locked_until        timestamptz,
  active              boolean NOT NULL DEFAULT true,
  last_login_at       timestamptz,
  version             integer NOT NULL DEFAULT 1,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_org_unit ON users (org_unit_id);
GRANT SELECT, INSERT, UPDATE ON users TO renshe_app;
GRANT SELECT ON users TO renshe_maint;

CREATE TABLE role_grants (
  user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role       text NOT NULL CHECK (role IN ('clerk', 'reviewer', 'finance', 'district_admin',
                                           'city_analyst', 'city_admin',
                                           'sysadmin', 'secadmin', 'auditor')),
  granted_by uuid REFERENCES users (id),
  granted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, role)
);
GRANT SELECT, INSERT, DELETE ON role_grants TO renshe_app;
GRANT SELECT ON role_grants TO renshe_maint;

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash   bytea NOT NULL UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
GRANT SELECT, INSERT, UPDATE ON api_tokens TO renshe_app;

-- ------------------------------------------------------------------ audit log (tenant, append-only)

CREATE TABLE audit_log (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  seq            bigint NOT NULL,
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_user_id  uuid,
  actor_username text,
  actor_role     text,
  action         text NOT NULL,
  object_type    text,
  object_id      text,
  before         jsonb,
  after          jsonb,
  request_id     text,
  ip             text,
  prev_hash      bytea,
  hash           bytea NOT NULL,
  PRIMARY KEY (tenant_id, seq),
  UNIQUE (tenant_id, id)
);
CREATE INDEX audit_log_at ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, at DESC);
SELECT renshe_protect('audit_log');

-- What the hash covers: every column but the hashes themselves, as canonical jsonb text.
CREATE FUNCTION audit_canonical(a audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT jsonb_build_object(
    'tenant_id', a.tenant_id, 'seq', a.seq, 'id', a.id,
    'at', to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    'actor_user_id', a.actor_user_id, 'actor_username', a.actor_username,
    'actor_role', a.actor_role, 'action', a.action, 'object_type', a.object_type,
    'object_id', a.object_id, 'before', a.before, 'after', a.after,
    'request_id', a.request_id, 'ip', a.ip)::text
$$;

CREATE FUNCTION audit_link_hash(prev bytea, canonical text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
  SELECT sha256(coalesce(prev, ''::bytea) || convert_to(canonical, 'UTF8'))
$$;

-- The only way to write the audit log: one chain per tenant, serialised by an advisory lock,
-- in the caller's transaction (so a change without its audit record cannot commit).
CREATE FUNCTION audit_append(
  p_tenant uuid, p_actor_user_id uuid, p_actor_username text, p_actor_role text,
  p_action text, p_object_type text, p_object_id text, p_before jsonb, p_after jsonb,
  p_request_id text, p_ip text
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
ALTER FUNCTION audit_append(uuid, uuid, text, text, text, text, text, jsonb, jsonb, text, text)
  OWNER TO renshe_audit_writer;
REVOKE ALL ON FUNCTION audit_append(uuid, uuid, text, text, text, text, text, jsonb, jsonb, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_append(uuid, uuid, text, text, text, text, text, jsonb, jsonb, text, text) TO renshe_app;
GRANT SELECT, INSERT ON audit_log TO renshe_audit_writer;
-- Keyed on current_user, not on role membership: inside the definer function current_user is
-- renshe_audit_writer; the owner (a member, to hand the function over) must not match.
CREATE POLICY audit_writer_select ON audit_log FOR SELECT
  USING (current_user = 'renshe_audit_writer');
CREATE POLICY audit_writer_insert ON audit_log FOR INSERT
  WITH CHECK (current_user = 'renshe_audit_writer');
-- The application reads (auditor pages, nightly chain check) through RLS; it never writes directly.
GRANT SELECT ON audit_log TO renshe_app, renshe_maint;
GRANT EXECUTE ON FUNCTION audit_canonical(audit_log), audit_link_hash(bytea, text) TO renshe_app, renshe_maint;

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- ------------------------------------------------------------------ jobs (tenant)

CREATE TABLE jobs (
  tenant_id       uuid NOT NULL REFERENCES org_units (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  kind            text NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
  args            jsonb NOT NULL DEFAULT '{}'::jsonb,
  idempotency_key text NOT NULL,
  business_date   date,
  status          text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress_done   integer NOT NULL DEFAULT 0 CHECK (progress_done >= 0),
  progress_total  integer CHECK (progress_total IS NULL OR progress_total >= 0),
  attempts        integer NOT NULL DEFAULT 0,
  max_attempts    integer NOT NULL DEFAULT 5,
  result          jsonb,
  last_error      text,
  requested_by    uuid REFERENCES users (id),
  worker          text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  enqueued_at     timestamptz,
  started_at      timestamptz,
  heartbeat_at    timestamptz,
  finished_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX jobs_status ON jobs (status, enqueued_at) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_recent ON jobs (tenant_id, created_at DESC);
SELECT renshe_protect('jobs');
GRANT SELECT, INSERT, UPDATE ON jobs TO renshe_app;
GRANT SELECT ON jobs TO renshe_maint;

-- The dispatcher sweep sees every tenant's unfinished jobs, and only their routing columns:
-- queued jobs not (re)sent for a while, and running jobs whose worker stopped beating.
GRANT SELECT, UPDATE (enqueued_at) ON jobs TO renshe_dispatch;
CREATE POLICY dispatch_select ON jobs FOR SELECT USING (current_user = 'renshe_dispatch');
CREATE POLICY dispatch_update ON jobs FOR UPDATE
  USING (current_user = 'renshe_dispatch') WITH CHECK (current_user = 'renshe_dispatch');
CREATE FUNCTION jobs_due_for_dispatch(p_stale_seconds integer, p_limit integer)
RETURNS TABLE (tenant_id uuid, id uuid, kind text)
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  UPDATE jobs j SET enqueued_at = now()
  FROM (
    SELECT tenant_id, id FROM jobs
    WHERE (status = 'queued' AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => p_stale_seconds)))
       OR (status = 'running' AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => p_stale_seconds)
           AND (enqueued_at IS NULL OR enqueued_at < now() - make_interval(secs => p_stale_seconds)))
    ORDER BY created_at
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
  ) due
  WHERE j.tenant_id = due.tenant_id AND j.id = due.id
  RETURNING j.tenant_id, j.id, j.kind
$$;
ALTER FUNCTION jobs_due_for_dispatch(integer, integer) OWNER TO renshe_dispatch;
REVOKE ALL ON FUNCTION jobs_due_for_dispatch(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs_due_for_dispatch(integer, integer) TO renshe_app;
