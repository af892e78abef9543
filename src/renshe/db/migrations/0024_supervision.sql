-- 0024 supervision (督查): a city administrator's time-limited, read-only access to one district's
-- person-level records (01-platform §4). City roles otherwise work on aggregates only.
--
-- A grant is the city's own record (tenant_id = the city bureau: the city's context writes only
-- its own unit's rows), naming the district it opens, the administrator who asked and why. It
-- lasts at most eight hours (the CHECK, not only the form) and may be ended early; it is never
-- deleted. Asking, ending and every request read under it are audited in the city's chain.

CREATE TABLE supervision_grants (
  tenant_id   uuid NOT NULL REFERENCES org_units (id),   -- the city bureau holding the grant
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id),       -- the city administrator who asked
  district_id uuid NOT NULL REFERENCES org_units (id),   -- the district it opens
  reason      text NOT NULL CHECK (length(btrim(reason)) BETWEEN 4 AND 500),
  starts_at   timestamptz NOT NULL DEFAULT now(),
  ends_at     timestamptz NOT NULL,
  ended_at    timestamptz,                               -- ended early by its holder
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT supervision_at_most_eight_hours
    CHECK (ends_at > starts_at AND ends_at <= starts_at + interval '8 hours'),
  CONSTRAINT supervision_not_a_district_of_itself CHECK (district_id <> tenant_id)
);
CREATE INDEX supervision_grants_live ON supervision_grants (tenant_id, user_id, ends_at) WHERE ended_at IS NULL;
SELECT renshe_protect('supervision_grants');
GRANT SELECT, INSERT ON supervision_grants TO renshe_app;
GRANT UPDATE (ended_at) ON supervision_grants TO renshe_app;  -- a grant is only ever ended early
GRANT SELECT ON supervision_grants TO renshe_maint;
