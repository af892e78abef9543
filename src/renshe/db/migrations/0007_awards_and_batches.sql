-- 0007 awards and disbursement batches (申请、审批、公示、发放批次).
-- The exactly-once guarantees live here, not in Python:
--   * one live payment line per award: a partial unique index (payment_lines_one_live_per_award);
--   * one batch per (district, business date, payer account, layout, part): batches_build_key;
--   * a budget can never be over-reserved: CHECK (reserved_fen + paid_fen <= total_fen).

-- ------------------------------------------------------------------ budgets (tenant)

CREATE TABLE budgets (
  tenant_id    uuid NOT NULL REFERENCES org_units (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  program_code text NOT NULL REFERENCES programs (code),
  year         integer NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  total_fen    bigint NOT NULL CHECK (total_fen >= 0),
  reserved_fen bigint NOT NULL DEFAULT 0 CHECK (reserved_fen >= 0),   -- approved, not yet paid
  paid_fen     bigint NOT NULL DEFAULT 0 CHECK (paid_fen >= 0),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, program_code, year),
  UNIQUE (tenant_id, id),
  CONSTRAINT budgets_never_overspent CHECK (reserved_fen + paid_fen <= total_fen)
);
SELECT renshe_protect('budgets');
GRANT SELECT, INSERT, UPDATE ON budgets TO renshe_app;
GRANT SELECT ON budgets TO renshe_maint;

-- ------------------------------------------------------------------ applications (tenant)

CREATE TABLE applications (
  tenant_id          uuid NOT NULL REFERENCES org_units (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  program_code       text NOT NULL REFERENCES programs (code),
  policy_version_id  uuid REFERENCES program_versions (id),   -- frozen at approval
  person_id          uuid,
  enterprise_id      uuid,
  application_date   date NOT NULL,
  facts              jsonb NOT NULL DEFAULT '{}'::jsonb,
  evaluation         jsonb,                                   -- reasons and breakdown, last computed
  amount_fen         bigint CHECK (amount_fen IS NULL OR amount_fen >= 0),
  budget_year        integer,
  state              text NOT NULL DEFAULT 'draft' CHECK (state IN (
                       'draft', 'submitted', 'approved', 'rejected', 'in_notice', 'on_hold',
                       'ready', 'in_batch', 'paid', 'payment_failed', 'withdrawn')),
  -- payee snapshot frozen at approval (refreshed when a clerk fixes a failed payment)
  payee_name         text,
  payee_account_enc  text,
  payee_account_masked text,
  payee_bank_name    text,
  notice_starts_on   date,
  notice_ends_on     date,
  ready_on           date,
  created_by         uuid REFERENCES users (id),
  submitted_by       uuid REFERENCES users (id),
  submitted_at       timestamptz,
  decided_by         uuid REFERENCES users (id),
  decided_at         timestamptz,
  decision_comment   text,
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id),
  FOREIGN KEY (tenant_id, enterprise_id) REFERENCES enterprises (tenant_id, id),
  CONSTRAINT applications_one_beneficiary CHECK ((person_id IS NULL) <> (enterprise_id IS NULL)),
  -- maker-checker: whoever submitted cannot decide
  CONSTRAINT applications_maker_checker CHECK (decided_by IS NULL OR decided_by IS DISTINCT FROM submitted_by),
  CONSTRAINT applications_frozen_when_approved CHECK (
    state IN ('draft', 'submitted', 'rejected', 'withdrawn')
    OR (amount_fen IS NOT NULL AND policy_version_id IS NOT NULL AND budget_year IS NOT NULL))
);
CREATE INDEX applications_state ON applications (tenant_id, state, updated_at DESC);
CREATE INDEX applications_person ON applications (tenant_id, person_id) WHERE person_id IS NOT NULL;
CREATE INDEX applications_enterprise ON applications (tenant_id, enterprise_id) WHERE enterprise_id IS NOT NULL;
CREATE INDEX applications_ready ON applications (tenant_id, ready_on) WHERE state = 'ready';
SELECT renshe_protect('applications');
GRANT SELECT, INSERT, UPDATE ON applications TO renshe_app;
GRANT SELECT ON applications TO renshe_maint;

-- Every transition, for the timeline on the application page (the audit log holds the same).
CREATE TABLE application_events (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL,
  at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor_user_id  uuid REFERENCES users (id),
  from_state     text,
  to_state       text NOT NULL,
  comment        text,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id)
);
CREATE INDEX application_events_of ON application_events (tenant_id, application_id, at);
SELECT renshe_protect('application_events');
GRANT SELECT, INSERT ON application_events TO renshe_app;
GRANT SELECT ON application_events TO renshe_maint;

-- 异议: an objection raised during public notice puts the award on hold until resolved.
CREATE TABLE objections (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  application_id uuid NOT NULL,
  raised_by      text NOT NULL,                  -- who objected, as told to the clerk
  raised_on      date NOT NULL,
  content        text NOT NULL CHECK (content <> ''),
  recorded_by    uuid NOT NULL REFERENCES users (id),
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  resolution     text CHECK (resolution IS NULL OR resolution IN ('upheld', 'dismissed')),
  resolution_comment text,
  resolved_by    uuid REFERENCES users (id),
  resolved_at    timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id)
);
SELECT renshe_protect('objections');
GRANT SELECT, INSERT, UPDATE ON objections TO renshe_app;
GRANT SELECT ON objections TO renshe_maint;

-- ------------------------------------------------------------------ batches (tenant)

CREATE TABLE disbursement_batches (
  tenant_id          uuid NOT NULL REFERENCES org_units (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  -- nightly:<date>:<payer account>:<layout>:<part>, or manual:<uuid>:<payer>:<layout>:<part>
  build_key          text NOT NULL,
  business_date      date NOT NULL,
  origin             text NOT NULL CHECK (origin IN ('nightly', 'manual')),
  payer_account      text NOT NULL,
  payer_name         text NOT NULL,
  payer_bank         text NOT NULL,
  layout             text NOT NULL,
  part               integer NOT NULL DEFAULT 1 CHECK (part >= 1),
  state              text NOT NULL DEFAULT 'building' CHECK (state IN (
                       'building', 'built', 'approved', 'exported', 'reconciled', 'closed', 'cancelled')),
  declared_count     integer CHECK (declared_count IS NULL OR declared_count >= 0),
  declared_total_fen bigint CHECK (declared_total_fen IS NULL OR declared_total_fen >= 0),
  created_by         uuid REFERENCES users (id),          -- NULL for the nightly system build
  approved_by        uuid REFERENCES users (id),
  approved_at        timestamptz,
  file_sha256        text CHECK (file_sha256 IS NULL OR file_sha256 ~ '^[0-9a-f]{64}$'),
  exported_at        timestamptz,
  reconciled_at      timestamptz,
  version            integer NOT NULL DEFAULT 1,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT batches_build_key UNIQUE (tenant_id, build_key),
  CONSTRAINT batches_maker_checker CHECK (approved_by IS NULL OR approved_by IS DISTINCT FROM created_by),
  CONSTRAINT batches_envelope_when_built CHECK (
    state IN ('building', 'cancelled') OR (declared_count IS NOT NULL AND declared_total_fen IS NOT NULL))
);
CREATE INDEX batches_recent ON disbursement_batches (tenant_id, business_date DESC);
SELECT renshe_protect('disbursement_batches');
GRANT SELECT, INSERT, UPDATE ON disbursement_batches TO renshe_app;
GRANT SELECT ON disbursement_batches TO renshe_maint;

CREATE TABLE payment_lines (
  tenant_id          uuid NOT NULL REFERENCES org_units (id),
  id                 uuid NOT NULL DEFAULT gen_random_uuid(),
  batch_id           uuid NOT NULL,
  application_id     uuid NOT NULL,
  seq                integer NOT NULL CHECK (seq >= 1),
  reference          text NOT NULL,                       -- what the bank echoes back
  amount_fen         bigint NOT NULL CHECK (amount_fen > 0),
  payee_name         text NOT NULL,
  payee_account_enc  text NOT NULL,
  payee_account_masked text NOT NULL,
  payee_bank_name    text,
  state              text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'paid', 'failed', 'cancelled')),
  bank_reason        text,
  follows_line_id    uuid,                                -- the failed line this one retries
  created_at         timestamptz NOT NULL DEFAULT now(),
  resolved_at        timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, batch_id) REFERENCES disbursement_batches (tenant_id, id),
  FOREIGN KEY (tenant_id, application_id) REFERENCES applications (tenant_id, id),
  FOREIGN KEY (tenant_id, follows_line_id) REFERENCES payment_lines (tenant_id, id),
  CONSTRAINT payment_lines_seq UNIQUE (tenant_id, batch_id, seq),
  CONSTRAINT payment_lines_reference UNIQUE (tenant_id, reference)
);
-- THE exactly-once guarantee: an award is in at most one live (pending or paid) line, ever.
CREATE UNIQUE INDEX payment_lines_one_live_per_award ON payment_lines (tenant_id, application_id)
  WHERE state IN ('pending', 'paid');
CREATE INDEX payment_lines_of_batch ON payment_lines (tenant_id, batch_id, seq);
SELECT renshe_protect('payment_lines');
GRANT SELECT, INSERT, UPDATE ON payment_lines TO renshe_app;
GRANT SELECT ON payment_lines TO renshe_maint;

-- Bank return files and what reconciliation could not apply (never applied silently).
CREATE TABLE bank_returns (
  tenant_id   uuid NOT NULL REFERENCES org_units (id),
  id          uuid NOT NULL DEFAULT gen_random_uuid(),
  batch_id    uuid NOT NULL,
  filename    text NOT NULL,
  file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  uploaded_by uuid NOT NULL REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  applied     integer NOT NULL DEFAULT 0,
  errors      jsonb NOT NULL DEFAULT '[]'::jsonb,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, batch_id) REFERENCES disbursement_batches (tenant_id, id),
  -- the same file applied twice is recognised, not applied again
  CONSTRAINT bank_returns_once UNIQUE (tenant_id, batch_id, file_sha256)
);
SELECT renshe_protect('bank_returns');
GRANT SELECT, INSERT, UPDATE ON bank_returns TO renshe_app;
GRANT SELECT ON bank_returns TO renshe_maint;
