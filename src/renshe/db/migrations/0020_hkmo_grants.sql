-- 0020 Hong Kong and Macao youth grants (港澳青年资助): grants, their tranches with milestones,
-- and each grant's ledger (台账). shared/spec/05-hkmo-youth.md.
--
-- A grant is judged by the programs machinery (family 'hkmo') and planned as tranches; a tranche
-- whose milestone a reviewer accepted becomes a payable award — an `applications` row born
-- 'ready' — and is paid by the same nightly disbursement batches and bank files as every other
-- award. What the database guarantees, whoever writes:
--   * maker-checker: whoever submitted a grant cannot decide it, whoever recorded a milestone's
--     evidence cannot decide it (CHECK);
--   * grants and tranches change state only along allowed edges (renshe_state_step_allowed);
--   * a tranche has an award exactly while it is payable or paid, one award per tranche (CHECK,
--     UNIQUE), and follows its award's state (ready → in_batch → paid | payment_failed) by a
--     trigger on applications, so the disbursement code needs to know nothing of tranches;
--   * the ledger is append-only (no UPDATE or DELETE for anyone but a superuser), and an entry
--     that would release or cancel more than was awarded, pay more than was released, claw back
--     more than was paid, or recover or write off more than is owed is refused (check_violation);
--     a tranche is released, paid and cancelled at most once each (UNIQUE);
--   * balances are never stored: they are sums over the ledger (renshe.hkmo.ledger).

-- ------------------------------------------------------------------ grants

CREATE TABLE hkmo_grants (
  tenant_id         uuid NOT NULL REFERENCES org_units (id),
  id                uuid NOT NULL DEFAULT gen_random_uuid(),
  youth_id          uuid NOT NULL,
  program_code      text NOT NULL REFERENCES programs (code),
  policy_version_id uuid REFERENCES program_versions (id),   -- frozen at approval
  facts             jsonb NOT NULL DEFAULT '{}'::jsonb,
  evaluation        jsonb,                                   -- reasons and breakdown, last judged
  amount_fen        bigint NOT NULL CHECK (amount_fen >= 0),  -- the plan: the sum of its tranches
  applied_on        date NOT NULL,
  state             text NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'submitted', 'approved', 'rejected', 'withdrawn')),
  created_by        uuid REFERENCES users (id),
  submitted_by      uuid REFERENCES users (id),
  submitted_at      timestamptz,
  decided_by        uuid REFERENCES users (id),
  decided_at        timestamptz,
  decision_comment  text CHECK (length(decision_comment) <= 500),
  version           integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, youth_id) REFERENCES hkmo_youth (tenant_id, id),
  CONSTRAINT hkmo_grants_maker_checker CHECK (decided_by IS NULL OR decided_by IS DISTINCT FROM submitted_by),
  CONSTRAINT hkmo_grants_frozen_when_approved CHECK (
    state <> 'approved' OR (policy_version_id IS NOT NULL AND decided_by IS NOT NULL AND amount_fen > 0))
);
CREATE INDEX hkmo_grants_of_youth ON hkmo_grants (tenant_id, youth_id);
CREATE INDEX hkmo_grants_list ON hkmo_grants (tenant_id, created_at DESC, id);
SELECT renshe_protect('hkmo_grants');
GRANT SELECT, INSERT, UPDATE ON hkmo_grants TO renshe_app;
GRANT SELECT ON hkmo_grants TO renshe_maint;

-- ------------------------------------------------------------------ tranches (分期)

CREATE TABLE hkmo_tranches (
  tenant_id        uuid NOT NULL REFERENCES org_units (id),
  id               uuid NOT NULL DEFAULT gen_random_uuid(),
  grant_id         uuid NOT NULL,
  seq              integer NOT NULL CHECK (seq BETWEEN 1 AND 120),
  milestone        text NOT NULL CHECK (milestone ~ '^[a-z_]{1,40}$'),
  due_on           date NOT NULL,
  amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
  state            text NOT NULL DEFAULT 'planned' CHECK (state IN (
                     'planned', 'due', 'ready', 'in_batch', 'paid', 'payment_failed', 'cancelled')),
  -- the clerk's evidence (met or not, what was seen), then the reviewer's decision
  evidence_met     boolean,
  evidence_note    text CHECK (length(evidence_note) <= 1000),
  evidence_files   jsonb NOT NULL DEFAULT '[]'::jsonb,        -- [{"name", "dated"}], names only
  evidence_by      uuid REFERENCES users (id),
  evidence_at      timestamptz,
  decided_met      boolean,
  decided_by       uuid REFERENCES users (id),
  decided_at       timestamptz,
  decision_comment text CHECK (length(decision_comment) <= 500),
  cancel_reason    text CHECK (length(cancel_reason) <= 500),
  award_id         uuid,                                       -- the payable award, once met
  version          integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES hkmo_grants (tenant_id, id),
  FOREIGN KEY (tenant_id, award_id) REFERENCES applications (tenant_id, id),
  CONSTRAINT hkmo_tranches_seq UNIQUE (tenant_id, grant_id, seq),
  CONSTRAINT hkmo_tranches_one_per_award UNIQUE (tenant_id, award_id),
  CONSTRAINT hkmo_tranches_maker_checker CHECK (decided_by IS NULL OR decided_by IS DISTINCT FROM evidence_by),
  CONSTRAINT hkmo_tranches_decided_on_evidence CHECK (decided_by IS NULL OR evidence_by IS NOT NULL),
  CONSTRAINT hkmo_tranches_award_while_payable CHECK (
    (state IN ('ready', 'in_batch', 'paid', 'payment_failed')) = (award_id IS NOT NULL)),
  CONSTRAINT hkmo_tranches_cancelled_with_reason CHECK (state <> 'cancelled' OR cancel_reason IS NOT NULL)
);
-- The nightly milestone job reads these two: its cost follows the tranches falling due, not the
-- years of paid and cancelled history.
CREATE INDEX hkmo_tranches_falling_due ON hkmo_tranches (tenant_id, due_on) WHERE state = 'planned';
CREATE INDEX hkmo_tranches_due ON hkmo_tranches (tenant_id, due_on) WHERE state = 'due';
SELECT renshe_protect('hkmo_tranches');
GRANT SELECT, INSERT, UPDATE ON hkmo_tranches TO renshe_app;
GRANT SELECT ON hkmo_tranches TO renshe_maint;

-- ------------------------------------------------------------------ clawbacks (追回)

CREATE TABLE hkmo_clawbacks (
  tenant_id    uuid NOT NULL REFERENCES org_units (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  grant_id     uuid NOT NULL,
  amount_fen   bigint NOT NULL CHECK (amount_fen > 0),
  reason       text NOT NULL CHECK (reason <> '' AND length(reason) <= 500),
  recorded_by  uuid NOT NULL REFERENCES users (id),
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES hkmo_grants (tenant_id, id)
);
CREATE INDEX hkmo_clawbacks_of_grant ON hkmo_clawbacks (tenant_id, grant_id);
SELECT renshe_protect('hkmo_clawbacks');
GRANT SELECT, INSERT ON hkmo_clawbacks TO renshe_app;
GRANT SELECT ON hkmo_clawbacks TO renshe_maint;

-- ------------------------------------------------------------------ the ledger (台账)

CREATE TABLE hkmo_ledger (
  tenant_id     uuid NOT NULL REFERENCES org_units (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  grant_id      uuid NOT NULL,
  tranche_id    uuid,
  clawback_id   uuid,
  kind          text NOT NULL CHECK (kind IN ('awarded', 'released', 'paid', 'failed', 'cancelled',
                                              'clawback_owed', 'recovered', 'written_off')),
  amount_fen    bigint NOT NULL CHECK (amount_fen > 0),
  at            timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_user_id uuid REFERENCES users (id),
  note          text CHECK (length(note) <= 500),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES hkmo_grants (tenant_id, id),
  FOREIGN KEY (tenant_id, tranche_id) REFERENCES hkmo_tranches (tenant_id, id),
  FOREIGN KEY (tenant_id, clawback_id) REFERENCES hkmo_clawbacks (tenant_id, id),
  CONSTRAINT hkmo_ledger_tranche_kinds CHECK (
    kind NOT IN ('released', 'paid', 'failed', 'cancelled') OR tranche_id IS NOT NULL),
  CONSTRAINT hkmo_ledger_clawback_kinds CHECK (
    (kind IN ('clawback_owed', 'recovered', 'written_off')) = (clawback_id IS NOT NULL))
);
CREATE INDEX hkmo_ledger_of_grant ON hkmo_ledger (tenant_id, grant_id, at, id);
-- a tranche is released once, paid once, cancelled once; a grant is awarded once; a clawback owed once
CREATE UNIQUE INDEX hkmo_ledger_once_per_tranche ON hkmo_ledger (tenant_id, tranche_id, kind)
  WHERE kind IN ('released', 'paid', 'cancelled');
CREATE UNIQUE INDEX hkmo_ledger_awarded_once ON hkmo_ledger (tenant_id, grant_id) WHERE kind = 'awarded';
CREATE UNIQUE INDEX hkmo_ledger_owed_once ON hkmo_ledger (tenant_id, clawback_id) WHERE kind = 'clawback_owed';
SELECT renshe_protect('hkmo_ledger');
GRANT SELECT, INSERT ON hkmo_ledger TO renshe_app;
GRANT SELECT ON hkmo_ledger TO renshe_maint;

-- Entries balance by construction: each insert, under a per-grant lock (concurrent writers of one
-- grant take turns), is refused if the grant's totals with it would break an invariant.
CREATE FUNCTION hkmo_ledger_balances() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  t record;
  v_rule text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('hkmo_ledger:' || NEW.grant_id::text, 0));
  SELECT coalesce(sum(amount_fen) FILTER (WHERE kind = 'awarded'), 0)       AS awarded,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'released'), 0)      AS released,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'cancelled'), 0)     AS cancelled,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'paid'), 0)          AS paid,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'clawback_owed'), 0) AS owed,
         coalesce(sum(amount_fen) FILTER (WHERE kind IN ('recovered', 'written_off')), 0) AS settled,
         coalesce(sum(amount_fen) FILTER (WHERE kind IN ('recovered', 'written_off')
                                          AND clawback_id = NEW.clawback_id), 0) AS settled_here,
         coalesce(sum(amount_fen) FILTER (WHERE kind = 'clawback_owed'
                                          AND clawback_id = NEW.clawback_id), 0) AS owed_here
    INTO t FROM hkmo_ledger WHERE tenant_id = NEW.tenant_id AND grant_id = NEW.grant_id;
  v_rule := CASE
    WHEN NEW.kind IN ('released', 'cancelled') AND t.released + t.cancelled + NEW.amount_fen > t.awarded
      THEN 'released or cancelled beyond what was awarded'
    WHEN NEW.kind = 'paid' AND t.paid + NEW.amount_fen > t.released
      THEN 'paid beyond what was released'
    WHEN NEW.kind = 'clawback_owed' AND t.owed + NEW.amount_fen > t.paid
      THEN 'clawed back beyond what was paid'
    WHEN NEW.kind IN ('recovered', 'written_off')
         AND (t.settled_here + NEW.amount_fen > t.owed_here OR t.settled + NEW.amount_fen > t.owed)
      THEN 'recovered or written off beyond what is owed'
  END;
  IF v_rule IS NOT NULL THEN
    RAISE EXCEPTION 'hkmo_ledger: % (grant %, % of % fen)', v_rule, NEW.grant_id, NEW.kind, NEW.amount_fen
      USING ERRCODE = 'check_violation', CONSTRAINT = 'hkmo_ledger_balances', TABLE = 'hkmo_ledger';
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER hkmo_ledger_balances BEFORE INSERT ON hkmo_ledger
  FOR EACH ROW EXECUTE FUNCTION hkmo_ledger_balances();

-- Append-only, for the owner and operators too (the application role has no UPDATE or DELETE).
CREATE FUNCTION hkmo_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'hkmo_ledger is append-only: record a new entry instead'
    USING ERRCODE = 'check_violation', CONSTRAINT = 'hkmo_ledger_append_only', TABLE = 'hkmo_ledger';
END
$$;
CREATE TRIGGER hkmo_ledger_append_only BEFORE UPDATE OR DELETE ON hkmo_ledger
  FOR EACH ROW EXECUTE FUNCTION hkmo_ledger_append_only();

-- ------------------------------------------------------------------ a tranche follows its award

-- The disbursement code moves awards (ready → in_batch → paid | payment_failed → ready) and knows
-- nothing of tranches; the tranche of an award follows it here, in the same transaction, and the
-- bank's answer lands in the grant's ledger. An award on hold stays 'ready' for its tranche.
CREATE FUNCTION hkmo_tranche_follows_its_award() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_tranche uuid;
  v_grant   uuid;
BEGIN
  IF NEW.state NOT IN ('ready', 'in_batch', 'paid', 'payment_failed') THEN
    RETURN NULL;
  END IF;
  UPDATE hkmo_tranches SET state = NEW.state, version = version + 1, updated_at = now()
   WHERE tenant_id = NEW.tenant_id AND award_id = NEW.id
   RETURNING id, grant_id INTO v_tranche, v_grant;
  IF v_tranche IS NOT NULL AND NEW.state IN ('paid', 'payment_failed') THEN
    INSERT INTO hkmo_ledger (tenant_id, grant_id, tranche_id, kind, amount_fen)
    VALUES (NEW.tenant_id, v_grant, v_tranche,
            CASE NEW.state WHEN 'paid' THEN 'paid' ELSE 'failed' END, NEW.amount_fen);
  END IF;
  RETURN NULL;
END
$$;
-- Only awards of HK/MO programs can have a tranche: the WHEN keeps the trigger off every other
-- award's path (the nightly build moves tens of thousands).
CREATE TRIGGER applications_move_their_hkmo_tranche AFTER UPDATE OF state ON applications
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state AND NEW.program_code LIKE 'hkmo\_%')
  EXECUTE FUNCTION hkmo_tranche_follows_its_award();

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
    ('talent_applications', '(new)',     'draft'),
    ('talent_applications', 'draft',     'submitted'),
    ('talent_applications', 'draft',     'withdrawn'),
    ('talent_applications', 'submitted', 'approved'),
    ('talent_applications', 'submitted', 'rejected'),
    ('talent_applications', 'submitted', 'withdrawn'),
    ('talent_applications', 'approved',  'issued'),
    ('talent_cards', '(new)',  'active'),
    ('talent_cards', 'active', 'expired'),
    ('talent_cards', 'active', 'revoked'),
    ('talent_cards', 'active', 'lost'),
    ('talent_cards', 'active', 'superseded'),
    -- 港澳青年资助: a clerk plans and submits, a reviewer who did not submit decides.
    ('hkmo_grants', '(new)',     'draft'),
    ('hkmo_grants', 'draft',     'submitted'),
    ('hkmo_grants', 'draft',     'withdrawn'),
    ('hkmo_grants', 'submitted', 'approved'),
    ('hkmo_grants', 'submitted', 'rejected'),
    ('hkmo_grants', 'submitted', 'withdrawn'),
    -- 分期: planned until its milestone falls due (the nightly job, or approval for the first);
    -- a met milestone makes it payable, a missed one cancels it and every later one; payable
    -- tranches follow their award (the trigger above).
    ('hkmo_tranches', '(new)',          'planned'),
    ('hkmo_tranches', 'planned',        'due'),
    ('hkmo_tranches', 'planned',        'cancelled'),
    ('hkmo_tranches', 'due',            'ready'),
    ('hkmo_tranches', 'due',            'cancelled'),
    ('hkmo_tranches', 'ready',          'in_batch'),
    ('hkmo_tranches', 'in_batch',       'ready'),
    ('hkmo_tranches', 'in_batch',       'paid'),
    ('hkmo_tranches', 'in_batch',       'payment_failed'),
    ('hkmo_tranches', 'payment_failed', 'ready')
  )
$$;

CREATE TRIGGER hkmo_grants_state_machine
  BEFORE INSERT OR UPDATE OF state ON hkmo_grants
  FOR EACH ROW EXECUTE FUNCTION renshe_refuse_illegal_state_step();
CREATE TRIGGER hkmo_tranches_state_machine
  BEFORE INSERT OR UPDATE OF state ON hkmo_tranches
  FOR EACH ROW EXECUTE FUNCTION renshe_refuse_illegal_state_step();
