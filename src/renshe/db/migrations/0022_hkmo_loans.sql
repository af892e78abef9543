-- 0022 guaranteed start-up loans (乐业五邑贷) and their interest subsidy (贴息).
--
-- A grant of `hkmo_loan_interest` has one loan: bank, principal, annual rate, term and interest
-- period, from a start date. Its tranches are the loan's periods: each falls due when the period
-- ends, carries the interest the schedule allows for it, and takes the bank's statement of the
-- interest actually paid (the milestone's evidence); the subsidy released is the program's share
-- of what was paid. What the database guarantees, whoever writes:
--   * one loan per grant, with a term made of whole periods (UNIQUE, CHECK);
--   * a period's statement never more than its schedule allows (CHECK), recorded once (the
--     tranche's evidence is written once by the service; the ledger releases a tranche once).

CREATE TABLE hkmo_loans (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  grant_id       uuid NOT NULL,
  bank           text NOT NULL CHECK (bank <> '' AND length(bank) <= 100),
  principal_fen  bigint NOT NULL CHECK (principal_fen > 0),
  annual_rate_bp integer NOT NULL CHECK (annual_rate_bp BETWEEN 1 AND 2400),   -- 0.01% … 24%
  term_months    integer NOT NULL CHECK (term_months BETWEEN 1 AND 120),
  period_months  integer NOT NULL CHECK (period_months IN (1, 3, 6, 12)),
  starts_on      date NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES hkmo_grants (tenant_id, id),
  CONSTRAINT hkmo_loans_one_per_grant UNIQUE (tenant_id, grant_id),
  CONSTRAINT hkmo_loans_whole_periods CHECK (term_months % period_months = 0)
);
SELECT renshe_protect('hkmo_loans');
GRANT SELECT, INSERT ON hkmo_loans TO renshe_app;
GRANT SELECT ON hkmo_loans TO renshe_maint;

ALTER TABLE hkmo_tranches
  ADD COLUMN scheduled_interest_fen bigint CHECK (scheduled_interest_fen IS NULL OR scheduled_interest_fen > 0),
  ADD COLUMN interest_paid_fen bigint CHECK (interest_paid_fen IS NULL OR interest_paid_fen >= 0),
  ADD CONSTRAINT hkmo_tranches_statement_within_schedule CHECK (
    interest_paid_fen IS NULL OR (scheduled_interest_fen IS NOT NULL AND interest_paid_fen <= scheduled_interest_fen));
