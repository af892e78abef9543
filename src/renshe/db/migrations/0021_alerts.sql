-- 0021 alerts (告警): what a nightly check found wrong, for the district's and the city's
-- administrators. The first check to write here is the HK/MO ledger's (renshe.hkmo.ledger_check);
-- the rollups' comparison of incremental and full recomputation will be the next.
--
-- One alert per kind, subject and business date (UNIQUE): a check run twice, or retried after a
-- crash, finds the same breach and adds nothing. An alert is resolved by an administrator with a
-- note; it is never deleted. A district's alerts are its own rows (row security), so the city
-- administrator reads them through the city's read set, like every district row.

CREATE TABLE alerts (
  tenant_id   uuid NOT NULL REFERENCES org_units (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  kind        text NOT NULL CHECK (kind ~ '^[a-z_.]{1,60}$'),
  subject     text NOT NULL CHECK (subject <> '' AND length(subject) <= 200),  -- what it is about
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  raised_on   date NOT NULL,                 -- the business date of the check that found it
  raised_at   timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by uuid REFERENCES users (id),
  resolution  text CHECK (length(resolution) <= 500),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT alerts_once_a_day UNIQUE (tenant_id, kind, subject, raised_on),
  CONSTRAINT alerts_resolved_with_note CHECK ((resolved_at IS NULL) = (resolution IS NULL))
);
CREATE INDEX alerts_open ON alerts (tenant_id, raised_at DESC) WHERE resolved_at IS NULL;
SELECT renshe_protect('alerts');
GRANT SELECT, INSERT, UPDATE ON alerts TO renshe_app;
GRANT SELECT ON alerts TO renshe_maint;
