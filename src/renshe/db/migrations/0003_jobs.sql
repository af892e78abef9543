-- 0003 jobs and audit: indexes for the auditor's filters (who did it, to what).
-- The audit log grows with every sign-in and change; the auditor looks up one user's actions or
-- one object's history across years of records, so both get an index (tenant first, as always).
CREATE INDEX audit_log_actor ON audit_log (tenant_id, actor_username, at DESC);
CREATE INDEX audit_log_object ON audit_log (tenant_id, object_type, object_id);

-- Jobs by status for the metrics endpoint, across every tenant, as counts only (no ids, no
-- tenants): the application role cannot otherwise count other tenants' jobs. Unfinished jobs,
-- plus the failures of the last day (what an operator alerts on).
CREATE FUNCTION jobs_status_counts()
RETURNS TABLE (status text, jobs bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT j.status, count(*) FROM jobs j
  WHERE j.status IN ('queued', 'running')
     OR (j.status = 'failed' AND j.finished_at > now() - interval '1 day')
  GROUP BY j.status
$$;
ALTER FUNCTION jobs_status_counts() OWNER TO renshe_dispatch;
REVOKE ALL ON FUNCTION jobs_status_counts() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION jobs_status_counts() TO renshe_app;
