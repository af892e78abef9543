-- 0019 the Hong Kong and Macao youth register (港澳青年名册, shared/spec/05-hkmo-youth.md).
--
-- A youth is a registered person of the district (02-registry) with a Hong Kong or Macao
-- document, aged 45 or under at first registration, who consented to the use of their data.
-- What the database guarantees, whoever writes:
--   * one registration per person and district (UNIQUE), and nobody registered without consent
--     or over 45 at registration (CHECK);
--   * a withdrawn consent stays withdrawn, with its time (CHECK; the service masks from then on);
--   * the status is one of the five of the spec (CHECK), every change a row of hkmo_youth_events.
-- Whether the person is registered in another district is asked through the city-wide gate
-- (program receipts under the code 'hkmo_youth', renshe.registry.citywide): yes or no, never where.

CREATE TABLE hkmo_youth (
  tenant_id            uuid NOT NULL REFERENCES org_units (id),
  id                   uuid NOT NULL DEFAULT gen_random_uuid(),
  person_id            uuid NOT NULL,
  school               text CHECK (length(school) <= 200),
  graduated_on         date,
  status               text NOT NULL CHECK (status IN ('studying', 'employed', 'self_employed', 'founder', 'left')),
  enterprise_id        uuid,            -- the employer, or the youth's own enterprise
  incubation_base      text CHECK (length(incubation_base) <= 200),
  reached_via          text NOT NULL CHECK (reached_via IN
                         ('job_fair', 'campus_event', 'competition', 'referral', 'walk_in', 'online', 'other')),
  registered_on        date NOT NULL,
  age_at_registration  integer NOT NULL CHECK (age_at_registration BETWEEN 14 AND 45),
  consent_given_at     timestamptz NOT NULL,
  consent_withdrawn_at timestamptz,
  created_by           uuid REFERENCES users (id),
  version              integer NOT NULL DEFAULT 1,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT hkmo_youth_once UNIQUE (tenant_id, person_id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id),
  FOREIGN KEY (tenant_id, enterprise_id) REFERENCES enterprises (tenant_id, id),
  CONSTRAINT hkmo_youth_consent CHECK (consent_withdrawn_at IS NULL OR consent_withdrawn_at >= consent_given_at)
);
CREATE INDEX hkmo_youth_list ON hkmo_youth (tenant_id, registered_on DESC, id);
SELECT renshe_protect('hkmo_youth');
GRANT SELECT, INSERT, UPDATE ON hkmo_youth TO renshe_app;
GRANT SELECT ON hkmo_youth TO renshe_maint;

-- A withdrawn consent is never given back by an UPDATE (a new consent is a new registration
-- decision the spec does not have): the column only goes from NULL to a time.
CREATE FUNCTION hkmo_youth_consent_stays_withdrawn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.consent_withdrawn_at IS NOT NULL AND NEW.consent_withdrawn_at IS DISTINCT FROM OLD.consent_withdrawn_at THEN
    RAISE EXCEPTION 'hkmo_youth: a withdrawn consent stays withdrawn'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'hkmo_youth_consent_withdrawn';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER hkmo_youth_consent_withdrawn BEFORE UPDATE OF consent_withdrawn_at ON hkmo_youth
  FOR EACH ROW EXECUTE FUNCTION hkmo_youth_consent_stays_withdrawn();

-- The youth's history: registration, each change of status, the withdrawal of consent.
CREATE TABLE hkmo_youth_events (
  tenant_id     uuid NOT NULL,
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  youth_id      uuid NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('registered', 'status', 'consent_withdrawn')),
  from_status   text,
  to_status     text,
  comment       text CHECK (length(comment) <= 500),
  actor_user_id uuid REFERENCES users (id),
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, youth_id) REFERENCES hkmo_youth (tenant_id, id)
);
CREATE INDEX hkmo_youth_events_of ON hkmo_youth_events (tenant_id, youth_id, at);
SELECT renshe_protect('hkmo_youth_events');
GRANT SELECT, INSERT ON hkmo_youth_events TO renshe_app;
GRANT SELECT ON hkmo_youth_events TO renshe_maint;
