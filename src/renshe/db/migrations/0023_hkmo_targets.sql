-- 0023 the city's targets for Hong Kong and Macao youth (目标任务, shared/spec/05-hkmo-youth.md).
--
-- Per city, year and metric: the city's target (district_id NULL) and each district's share. A
-- plan, not personal data: city-wide reference data like the programs catalogue, so no row
-- security — every district of the city may read its share, and the service lets only the city
-- administrator write (audited). Progress is never stored: it is counted from the districts' own
-- records under the reader's row security (renshe.hkmo.targets).

CREATE TABLE hkmo_targets (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  city_id     uuid NOT NULL REFERENCES org_units (id),
  year        integer NOT NULL CHECK (year BETWEEN 2020 AND 2100),
  metric      text NOT NULL CHECK (metric IN ('youth_registered', 'youth_employed_or_founding', 'startups',
                                              'loans', 'amount_paid_fen')),
  district_id uuid REFERENCES org_units (id),          -- NULL: the city's own target
  target      bigint NOT NULL CHECK (target >= 0),
  set_by      uuid REFERENCES users (id),
  set_at      timestamptz NOT NULL DEFAULT now()
);
-- one target per city, year, metric and district (the city's own: district NULL, once)
CREATE UNIQUE INDEX hkmo_targets_once ON hkmo_targets (city_id, year, metric, coalesce(district_id, city_id));
GRANT SELECT, INSERT, DELETE ON hkmo_targets TO renshe_app;
GRANT SELECT ON hkmo_targets TO renshe_maint;
