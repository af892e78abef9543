-- 0017 talent cards (侨都人才卡, shared/spec/04-talent-cards.md): applications, cards, their
-- issuances, benefit uses with yearly quotas, the signing keys and the per-district status lists.
--
-- What the database guarantees, whoever writes:
--   * maker-checker: whoever submitted an application cannot decide it (CHECK);
--   * an approval names a tier no higher than claimed, a frozen tier version and the employer's
--     confirmation (CHECK);
--   * one issuance per approval (UNIQUE application_id): a re-run, a second fan-out or a worker
--     killed mid-run cannot issue a second card for it;
--   * card numbers QD + district + year + 6-digit sequence + MOD 11-2 check character, taken by a
--     BEFORE INSERT trigger from record_numbers in the inserting transaction: a rollback gives the
--     number back, so committed numbers have no gap, and the counter only grows, so none repeats;
--   * a card's validity never runs past its holder's contract end (CHECK);
--   * a benefit is used at most its yearly quota per card (a counter row with CHECK used <= quota,
--     taken by a trigger in the recording transaction, so concurrent service points take turns);
--   * applications and cards change state only along allowed edges (renshe_state_step_allowed);
--   * a lost card has at most one replacement, and a card number or status index never changes.

-- ------------------------------------------------------------------ numbering: RC and QD

ALTER TABLE record_numbers DROP CONSTRAINT record_numbers_kind_check;
ALTER TABLE record_numbers ADD CONSTRAINT record_numbers_kind_check
  CHECK (kind IN ('SQ', 'PF', 'DR', 'RC', 'QD'));

-- The next value of a district's counter, in the caller's transaction (0014's record_number_take
-- and the card trigger share it): the counter row stays locked to the commit, so concurrent
-- creators take turns, and a rollback gives the value back.
CREATE FUNCTION record_number_next(p_tenant uuid, p_kind text, p_year integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  v_seq integer;
BEGIN
  INSERT INTO record_numbers AS r (tenant_id, kind, year, last_value)
  VALUES (p_tenant, p_kind, p_year, 1)
  ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last_value = r.last_value + 1
  RETURNING r.last_value INTO v_seq;
  RETURN v_seq;
END
$$;

CREATE OR REPLACE FUNCTION record_number_take(p_tenant uuid, p_kind text, p_year integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_seq  integer := record_number_next(p_tenant, p_kind, p_year);
  v_code text;
BEGIN
  SELECT code INTO STRICT v_code FROM org_units WHERE id = p_tenant;
  RETURN record_number_format(p_kind, v_code, p_year, v_seq);
END
$$;

-- ISO 7064 MOD 11-2 over a string of digits (renshe.talent.card_numbers.check_character).
CREATE FUNCTION mod_11_2_check(p_digits text) RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  v_sum integer := 0;
  v_check integer;
BEGIN
  FOR i IN 1 .. length(p_digits) LOOP
    v_sum := (2 * v_sum + substr(p_digits, i, 1)::integer) % 11;
  END LOOP;
  v_check := ((1 - 2 * v_sum) % 11 + 11) % 11;
  RETURN CASE WHEN v_check = 10 THEN 'X' ELSE v_check::text END;
END
$$;

-- QD4407032026000123 + check: the sequence is six digits, longer past 999999 (never cut).
CREATE FUNCTION talent_card_number(p_code text, p_year integer, p_seq integer) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT 'QD' || d || mod_11_2_check(d)
  FROM (SELECT p_code || p_year::text
               || CASE WHEN p_seq < 1000000 THEN lpad(p_seq::text, 6, '0') ELSE p_seq::text END AS d) AS digits
$$;

-- ------------------------------------------------------------------ signing keys (global)

-- Ed25519 keys that sign card tokens and status lists. One key signs at a time ('active'); after
-- `renshe keys rotate-signing` the old one only verifies ('verifying': still published, its
-- cards stay valid) until it is retired ('retired': no longer published). The private half is
-- sealed with the data key (renshe.protection.fields), like every other secret at rest.
CREATE TABLE card_signing_keys (
  kid          text PRIMARY KEY CHECK (kid ~ '^[a-z0-9]{1,16}$'),
  public_key   bytea NOT NULL UNIQUE CHECK (octet_length(public_key) = 32),
  private_key  text NOT NULL,
  state        text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'verifying', 'retired')),
  not_before   timestamptz NOT NULL DEFAULT now(),
  signed_until timestamptz,   -- when a rotation stopped it signing
  retired_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT card_signing_keys_retired CHECK ((state = 'retired') = (retired_at IS NOT NULL)),
  CONSTRAINT card_signing_keys_rotated CHECK (state = 'active' OR signed_until IS NOT NULL)
);
CREATE UNIQUE INDEX card_signing_keys_one_active ON card_signing_keys (state) WHERE state = 'active';
GRANT SELECT, INSERT, UPDATE ON card_signing_keys TO renshe_app;
GRANT SELECT ON card_signing_keys TO renshe_maint;

-- ------------------------------------------------------------------ applications

CREATE TABLE talent_applications (
  tenant_id          uuid NOT NULL REFERENCES org_units (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  number             text NOT NULL,
  kind               text NOT NULL DEFAULT 'new' CHECK (kind IN ('new', 'renewal', 'reissue')),
  card_id            uuid,                                     -- the card a renewal or reissue is for
  person_id          uuid NOT NULL,
  employer_id        uuid NOT NULL,
  tier_claimed       text NOT NULL CHECK (tier_claimed IN ('A', 'B', 'C')),
  tier_approved      text CHECK (tier_approved IN ('A', 'B', 'C')),
  policy_version_id  uuid REFERENCES program_versions (id),    -- the approved tier's, frozen
  facts              jsonb NOT NULL DEFAULT '{}'::jsonb,       -- qualifications, months, salary …
  contract_end       date NOT NULL,
  application_date   date NOT NULL,
  evaluation         jsonb,                                    -- reasons per tier, last judged
  state              text NOT NULL DEFAULT 'draft' CHECK (state IN (
                       'draft', 'submitted', 'approved', 'rejected', 'issued', 'withdrawn')),
  employer_confirmed_by   text,        -- the employer's contact who confirmed (name, post)
  employer_confirmed_at   timestamptz,
  employer_recorded_by    uuid REFERENCES users (id),
  created_by         uuid REFERENCES users (id),
  submitted_by       uuid REFERENCES users (id),
  submitted_at       timestamptz,
  decided_by         uuid REFERENCES users (id),
  decided_at         timestamptz,
  decision_comment   text,
  approved_on        date,                                     -- the business day of the approval
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id),
  FOREIGN KEY (tenant_id, employer_id) REFERENCES enterprises (tenant_id, id),
  CONSTRAINT talent_applications_maker_checker CHECK (decided_by IS NULL OR decided_by IS DISTINCT FROM submitted_by),
  -- 'A' < 'B' < 'C': an approved tier is the claimed one or a lower one
  CONSTRAINT talent_applications_approval CHECK (
    state NOT IN ('approved', 'issued')
    OR (tier_approved >= tier_claimed AND policy_version_id IS NOT NULL AND approved_on IS NOT NULL
        AND employer_confirmed_at IS NOT NULL AND decided_by IS NOT NULL)),
  CONSTRAINT talent_applications_card CHECK ((kind = 'new') = (card_id IS NULL))
);
CREATE INDEX talent_applications_state ON talent_applications (tenant_id, state, updated_at DESC);
CREATE INDEX talent_applications_person ON talent_applications (tenant_id, person_id);
CREATE INDEX talent_applications_to_issue ON talent_applications (tenant_id, approved_on) WHERE state = 'approved';
SELECT renshe_protect('talent_applications');
GRANT SELECT, INSERT, UPDATE ON talent_applications TO renshe_app;
GRANT SELECT ON talent_applications TO renshe_maint;

CREATE TABLE talent_application_events (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL,
  at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_user_id  uuid REFERENCES users (id),
  from_state     text,
  to_state       text NOT NULL,
  comment        text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES talent_applications (tenant_id, id)
);
CREATE INDEX talent_application_events_of ON talent_application_events (tenant_id, application_id, at);
SELECT renshe_protect('talent_application_events');
GRANT SELECT, INSERT ON talent_application_events TO renshe_app;
GRANT SELECT ON talent_application_events TO renshe_maint;

CREATE FUNCTION talent_applications_number() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.number := record_number_take(NEW.tenant_id, 'RC', extract(year FROM NEW.application_date)::integer);
  RETURN NEW;
END
$$;
CREATE TRIGGER talent_applications_number BEFORE INSERT ON talent_applications
  FOR EACH ROW EXECUTE FUNCTION talent_applications_number();
CREATE TRIGGER talent_applications_number_immutable BEFORE UPDATE OF number ON talent_applications
  FOR EACH ROW WHEN (OLD.number IS DISTINCT FROM NEW.number) EXECUTE FUNCTION record_number_immutable();

-- ------------------------------------------------------------------ status lists, cards

-- One per district: the last status index handed out and the last published list.
CREATE TABLE talent_status_lists (
  tenant_id     uuid PRIMARY KEY REFERENCES org_units (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  last_index    integer NOT NULL DEFAULT -1 CHECK (last_index >= -1),
  document      jsonb,            -- the signed list as published at /verify/status/<district>
  published_at  timestamptz,
  changed_at    timestamptz NOT NULL DEFAULT now(),  -- a card's status changed since?
  UNIQUE (tenant_id, id)
);
SELECT renshe_protect('talent_status_lists');
GRANT SELECT, INSERT, UPDATE ON talent_status_lists TO renshe_app;
GRANT SELECT ON talent_status_lists TO renshe_maint;

CREATE TABLE talent_cards (
  tenant_id         uuid NOT NULL REFERENCES org_units (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  card_no           text NOT NULL,
  year              integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  status_index      integer NOT NULL,
  application_id    uuid NOT NULL,   -- the approval that granted its tier (a reissue: the lost card's)
  origin            text NOT NULL DEFAULT 'new' CHECK (origin IN ('new', 'renewal', 'reissue')),
  person_id         uuid NOT NULL,
  tier              text NOT NULL CHECK (tier IN ('A', 'B', 'C')),
  policy_version_id uuid NOT NULL REFERENCES program_versions (id),
  valid_from        date NOT NULL,
  valid_until       date NOT NULL,
  contract_end      date NOT NULL,
  holder_masked     text NOT NULL,   -- as printed and signed: 张*明
  kid               text NOT NULL REFERENCES card_signing_keys (kid),
  token             text NOT NULL,   -- the QR's /verify/<token>, re-signed on renewal
  state             text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'expired', 'revoked', 'lost', 'superseded')),
  replaces_card_id  uuid,            -- a reissue after a reported loss, or a renewal's new card
  ended_reason      text,
  ended_at          timestamptz,
  ended_by          uuid REFERENCES users (id),
  renewal_flagged_on date,           -- the nightly job found it inside its renewal window
  version           integer NOT NULL DEFAULT 1,
  issued_at         timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, card_no),
  UNIQUE (tenant_id, status_index),
  UNIQUE (tenant_id, replaces_card_id),   -- a lost or upgraded card has one successor
  FOREIGN KEY (tenant_id, application_id) REFERENCES talent_applications (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id),
  FOREIGN KEY (tenant_id, replaces_card_id) REFERENCES talent_cards (tenant_id, id),
  CONSTRAINT talent_cards_validity CHECK (valid_from <= valid_until AND valid_until <= contract_end),
  CONSTRAINT talent_cards_ended CHECK ((state IN ('revoked', 'lost', 'superseded')) = (ended_at IS NOT NULL)),
  CONSTRAINT talent_cards_successor CHECK ((origin = 'new') = (replaces_card_id IS NULL))
);
-- one card per approval: a re-run, a second fan-out or a killed worker cannot issue a second one
CREATE UNIQUE INDEX talent_cards_one_per_approval ON talent_cards (tenant_id, application_id)
  WHERE origin <> 'reissue';
CREATE INDEX talent_cards_person ON talent_cards (tenant_id, person_id);
CREATE INDEX talent_cards_year ON talent_cards (tenant_id, year);  -- the completeness check counts by it
CREATE INDEX talent_cards_expiring ON talent_cards (tenant_id, valid_until) WHERE state = 'active';
SELECT renshe_protect('talent_cards');
GRANT SELECT, INSERT, UPDATE ON talent_cards TO renshe_app;
GRANT SELECT ON talent_cards TO renshe_maint;

ALTER TABLE talent_applications ADD FOREIGN KEY (tenant_id, card_id) REFERENCES talent_cards (tenant_id, id);

-- The number from the QD counter of the card's year, the status index from the district's list
-- (created on first use); both in the inserting transaction, whatever the caller sent.
--
-- A chunk of the nightly issuance reserves its numbers and indexes in one step instead
-- (talent_card_block_reserve: two updates per chunk, not two per card — each update of one row
-- in one transaction costs more than the last). The reservation is handed to this trigger in a
-- transaction-local setting and taken in insertion order; the check below (at commit) refuses a
-- transaction that reserved more numbers than it used, so committed numbers stay gapless.
CREATE FUNCTION talent_card_block_reserve(p_tenant uuid, p_year integer, p_count integer)
RETURNS TABLE (first_seq integer, first_index integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_last  integer;
  v_index integer;
BEGIN
  IF p_count < 1 THEN
    RAISE EXCEPTION 'talent_card_block_reserve: reserve at least one card' USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO record_numbers AS r (tenant_id, kind, year, last_value) VALUES (p_tenant, 'QD', p_year, p_count)
  ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last_value = r.last_value + p_count
  RETURNING r.last_value INTO v_last;
  INSERT INTO talent_status_lists AS s (tenant_id, last_index) VALUES (p_tenant, p_count - 1)
  ON CONFLICT (tenant_id) DO UPDATE SET last_index = s.last_index + p_count
  RETURNING s.last_index INTO v_index;
  first_seq := v_last - p_count + 1;
  first_index := v_index - p_count + 1;
  PERFORM set_config('renshe.card_block',
    concat_ws(':', p_tenant, p_year, first_seq, v_last, first_index), true);
  RETURN NEXT;
END
$$;

CREATE FUNCTION talent_cards_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_seq   integer;
  v_code  text;
  v_block text[] := string_to_array(nullif(current_setting('renshe.card_block', true), ''), ':');
BEGIN
  NEW.year := extract(year FROM NEW.valid_from)::integer;
  IF v_block IS NOT NULL AND v_block[1]::uuid = NEW.tenant_id AND v_block[2]::integer = NEW.year
     AND v_block[3]::integer <= v_block[4]::integer THEN
    -- the next number and index of the reservation, in insertion order
    v_seq := v_block[3]::integer;
    NEW.status_index := v_block[5]::integer;
    PERFORM set_config('renshe.card_block',
      concat_ws(':', v_block[1], v_block[2], v_seq + 1, v_block[4], NEW.status_index + 1), true);
  ELSE
    v_seq := record_number_next(NEW.tenant_id, 'QD', NEW.year);
    INSERT INTO talent_status_lists AS s (tenant_id, last_index) VALUES (NEW.tenant_id, 0)
    ON CONFLICT (tenant_id) DO UPDATE SET last_index = s.last_index + 1
    RETURNING s.last_index INTO NEW.status_index;
  END IF;
  SELECT code INTO STRICT v_code FROM org_units WHERE id = NEW.tenant_id;
  NEW.card_no := talent_card_number(v_code, NEW.year, v_seq);
  RETURN NEW;
END
$$;

-- At commit, after a reservation: the district's counter for the year equals the cards it has,
-- so no reserved number went unused (the counter row stays locked to the commit, so no other
-- transaction numbers cards of that district and year meanwhile).
CREATE FUNCTION talent_card_numbers_complete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_last  integer;
  v_cards bigint;
BEGIN
  SELECT last_value INTO v_last FROM record_numbers WHERE tenant_id = NEW.tenant_id AND kind = 'QD' AND year = NEW.year;
  SELECT count(*) INTO v_cards FROM talent_cards WHERE tenant_id = NEW.tenant_id AND year = NEW.year;
  IF v_cards <> v_last THEN
    RAISE EXCEPTION 'talent cards of % in %: % numbers handed out, % cards: a reserved number was not used',
        NEW.tenant_id, NEW.year, v_last, v_cards
      USING ERRCODE = 'check_violation', CONSTRAINT = 'talent_card_numbers_complete';
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER talent_card_numbers_complete
  AFTER INSERT OR UPDATE ON record_numbers DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.kind = 'QD') EXECUTE FUNCTION talent_card_numbers_complete();

CREATE TRIGGER talent_cards_number BEFORE INSERT ON talent_cards
  FOR EACH ROW EXECUTE FUNCTION talent_cards_number();

CREATE FUNCTION talent_cards_identity_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'talent_cards: a card''s number and status index never change'
    USING ERRCODE = 'check_violation', CONSTRAINT = 'talent_cards_identity';
END
$$;
CREATE TRIGGER talent_cards_identity_immutable BEFORE UPDATE OF card_no, status_index, year ON talent_cards
  FOR EACH ROW WHEN (OLD.card_no IS DISTINCT FROM NEW.card_no OR OLD.status_index IS DISTINCT FROM NEW.status_index
                     OR OLD.year IS DISTINCT FROM NEW.year)
  EXECUTE FUNCTION talent_cards_identity_immutable();

-- One row per issuance (first issue, renewal, reissue): what was signed and when.
CREATE TABLE talent_card_issuances (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL,
  card_id        uuid NOT NULL,
  kind           text NOT NULL CHECK (kind IN ('new', 'renewal', 'reissue')),
  valid_from     date NOT NULL,
  valid_until    date NOT NULL,
  kid            text NOT NULL REFERENCES card_signing_keys (kid),
  job_id         uuid,
  issued_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES talent_applications (tenant_id, id),
  FOREIGN KEY (tenant_id, card_id) REFERENCES talent_cards (tenant_id, id)
);
-- exactly once per approval (new card, renewal, upgrade); a reissue once per lost card (its card
-- is the lost one's only successor)
CREATE UNIQUE INDEX talent_card_issuances_one_per_approval ON talent_card_issuances (tenant_id, application_id)
  WHERE kind <> 'reissue';
CREATE INDEX talent_card_issuances_of ON talent_card_issuances (tenant_id, card_id, issued_at);
SELECT renshe_protect('talent_card_issuances');
GRANT SELECT, INSERT ON talent_card_issuances TO renshe_app;
GRANT SELECT ON talent_card_issuances TO renshe_maint;

-- ------------------------------------------------------------------ benefit uses

CREATE TABLE talent_benefit_uses (
  tenant_id     uuid NOT NULL REFERENCES org_units (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  card_id       uuid NOT NULL,
  benefit       text NOT NULL CHECK (benefit ~ '^[a-z][a-z0-9_]{0,62}$'),
  used_on       date NOT NULL,
  place         text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
  yearly_quota  integer CHECK (yearly_quota IS NULL OR yearly_quota >= 1),  -- the tier's, when recorded
  recorded_by   uuid REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, card_id) REFERENCES talent_cards (tenant_id, id)
);
CREATE INDEX talent_benefit_uses_of ON talent_benefit_uses (tenant_id, card_id, used_on);
SELECT renshe_protect('talent_benefit_uses');
GRANT SELECT, INSERT ON talent_benefit_uses TO renshe_app;
GRANT SELECT ON talent_benefit_uses TO renshe_maint;

CREATE TABLE talent_benefit_counts (
  tenant_id  uuid NOT NULL REFERENCES org_units (id),
  id         uuid NOT NULL DEFAULT gen_random_uuid(),
  card_id    uuid NOT NULL,
  benefit    text NOT NULL,
  year       integer NOT NULL,
  used       integer NOT NULL CHECK (used >= 1),
  quota      integer,
  PRIMARY KEY (tenant_id, card_id, benefit, year),
  UNIQUE (tenant_id, id),
  FOREIGN KEY (tenant_id, card_id) REFERENCES talent_cards (tenant_id, id),
  CONSTRAINT talent_benefit_quota CHECK (quota IS NULL OR used <= quota)
);
SELECT renshe_protect('talent_benefit_counts');
GRANT SELECT, INSERT, UPDATE ON talent_benefit_counts TO renshe_app;
GRANT SELECT ON talent_benefit_counts TO renshe_maint;

CREATE FUNCTION talent_benefit_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO talent_benefit_counts AS c (tenant_id, card_id, benefit, year, used, quota)
  VALUES (NEW.tenant_id, NEW.card_id, NEW.benefit, extract(year FROM NEW.used_on)::integer, 1, NEW.yearly_quota)
  ON CONFLICT (tenant_id, card_id, benefit, year)
  DO UPDATE SET used = c.used + 1, quota = EXCLUDED.quota;
  RETURN NEW;
END
$$;
CREATE TRIGGER talent_benefit_uses_count AFTER INSERT ON talent_benefit_uses
  FOR EACH ROW EXECUTE FUNCTION talent_benefit_count();

-- ------------------------------------------------------------------ state machines

CREATE OR REPLACE FUNCTION renshe_state_step_allowed(machine text, from_state text, to_state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT from_state IS NOT DISTINCT FROM to_state OR (machine, coalesce(from_state, '(new)'), to_state) IN (
    ('disbursement_batches', '(new)',      'building'),
    ('disbursement_batches', 'building',   'built'),
    ('disbursement_batches', 'building',   'cancelled'),
    ('disbursement_batches', 'built',      'approved'),
    ('disbursement_batches', 'built',      'cancelled'),
    ('disbursement_batches', 'approved',   'exported'),
    ('disbursement_batches', 'approved',   'cancelled'),
    ('disbursement_batches', 'exported',   'reconciled'),
    ('disbursement_batches', 'reconciled', 'closed'),
    ('payment_lines', '(new)',   'pending'),
    ('payment_lines', 'pending', 'paid'),
    ('payment_lines', 'pending', 'failed'),
    ('payment_lines', 'pending', 'cancelled'),
    ('applications', '(new)',          'draft'),
    ('applications', 'draft',          'submitted'),
    ('applications', 'draft',          'withdrawn'),
    ('applications', 'submitted',      'approved'),
    ('applications', 'submitted',      'rejected'),
    ('applications', 'submitted',      'withdrawn'),
    ('applications', 'approved',       'in_notice'),
    ('applications', 'in_notice',      'ready'),
    ('applications', 'in_notice',      'on_hold'),
    ('applications', 'on_hold',        'ready'),
    ('applications', 'on_hold',        'in_notice'),
    ('applications', 'on_hold',        'rejected'),
    ('applications', 'ready',          'on_hold'),
    ('applications', 'ready',          'in_batch'),
    ('applications', 'in_batch',       'ready'),
    ('applications', 'in_batch',       'paid'),
    ('applications', 'in_batch',       'payment_failed'),
    ('applications', 'payment_failed', 'ready'),
    -- 人才卡申请: a clerk enters and submits, a reviewer decides, the issuance job issues.
    ('talent_applications', '(new)',     'draft'),
    ('talent_applications', 'draft',     'submitted'),
    ('talent_applications', 'draft',     'withdrawn'),
    ('talent_applications', 'submitted', 'approved'),
    ('talent_applications', 'submitted', 'rejected'),
    ('talent_applications', 'submitted', 'withdrawn'),
    ('talent_applications', 'approved',  'issued'),
    -- 人才卡: born active; ends once (expired by the sweep, revoked, lost, or superseded by an
    -- upgrade). An expired card stays expired: a renewal after expiry is a new application.
    ('talent_cards', '(new)',  'active'),
    ('talent_cards', 'active', 'expired'),
    ('talent_cards', 'active', 'revoked'),
    ('talent_cards', 'active', 'lost'),
    ('talent_cards', 'active', 'superseded')
  )
$$;

CREATE TRIGGER talent_applications_state_machine
  BEFORE INSERT OR UPDATE OF state ON talent_applications
  FOR EACH ROW EXECUTE FUNCTION renshe_refuse_illegal_state_step();
CREATE TRIGGER talent_cards_state_machine
  BEFORE INSERT OR UPDATE OF state ON talent_cards
  FOR EACH ROW EXECUTE FUNCTION renshe_refuse_illegal_state_step();
