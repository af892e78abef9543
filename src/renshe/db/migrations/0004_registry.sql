-- 0004 registry (登记): persons and their identity documents, enterprises, person–enterprise
-- links, and the city-wide "has this document received program P" gate.
--
-- Personal numbers (document numbers, mobiles, bank accounts) are never stored in clear: each is
-- an AES-GCM ciphertext "<key id>:<nonce>:<sealed>" bound to (table, column, tenant, row), plus a
-- blind index (HMAC under the index key) where something must be found by it, plus a masked
-- display form (440703**********13) so lists never decrypt. The gate role
-- renshe_program_gate exists before this file runs (created by `renshe migrate`, GATE_ROLES).

-- ------------------------------------------------------------------ persons (tenant)

CREATE TABLE persons (
  tenant_id           uuid NOT NULL REFERENCES org_units (id),
  id                  uuid NOT NULL DEFAULT gen_random_uuid(),
  name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  sex                 text CHECK (sex IN ('male', 'female')),
  birth_date          date,
  residency           text NOT NULL
                      CHECK (residency IN ('mainland', 'hong_kong', 'macao', 'taiwan', 'foreign')),
  mobile_enc          text,
  mobile_index        bytea,
  mobile_masked       text,
  education           text CHECK (education IN ('none', 'primary', 'junior_secondary',
                                                'senior_secondary', 'vocational', 'associate',
                                                'bachelor', 'master', 'doctorate')),
  graduated_on        date,
  school              text,
  bank_account_enc    text,
  bank_account_index  bytea,
  bank_account_masked text,
  bank_account_name   text,
  bank_name           text,
  bank_branch_code    text,
  address             text,
  notes               text,
  version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by          uuid REFERENCES users (id),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CHECK ((mobile_enc IS NULL) = (mobile_index IS NULL)),
  CHECK ((bank_account_enc IS NULL) = (bank_account_index IS NULL))
);
CREATE INDEX persons_recent ON persons (tenant_id, created_at DESC, id DESC);
CREATE INDEX persons_name ON persons (tenant_id, name text_pattern_ops);
CREATE INDEX persons_mobile ON persons (tenant_id, mobile_index) WHERE mobile_index IS NOT NULL;
CREATE INDEX persons_bank_account ON persons (tenant_id, bank_account_index)
  WHERE bank_account_index IS NOT NULL;
SELECT renshe_protect('persons');
-- Persons are never deleted (programs and the audit log refer to them).
GRANT SELECT, INSERT, UPDATE ON persons TO renshe_app;
GRANT SELECT ON persons TO renshe_maint;

-- A person holds several documents; each is found by its blind index. The unique constraint on
-- (tenant, type, index) IS the de-duplication: one person per document per district. For a
-- home-return permit the index is of the lifetime key (first 9 characters), so a renewed card
-- finds the same person.
CREATE TABLE person_documents (
  tenant_id     uuid NOT NULL REFERENCES org_units (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  person_id     uuid NOT NULL,
  doc_type      text NOT NULL CHECK (doc_type IN ('prc_id', 'hkmo_residence_permit',
                                                  'tw_residence_permit', 'home_return_permit',
                                                  'hkid', 'macau_id', 'passport')),
  number_enc    text NOT NULL,
  number_index  bytea NOT NULL,
  number_masked text NOT NULL,
  renewal_count smallint CHECK (renewal_count IS NULL OR renewal_count BETWEEN 0 AND 99),
  position      smallint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT person_documents_unique_number UNIQUE (tenant_id, doc_type, number_index),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX person_documents_person ON person_documents (tenant_id, person_id, position);
SELECT renshe_protect('person_documents');
GRANT SELECT, INSERT, UPDATE, DELETE ON person_documents TO renshe_app;
GRANT SELECT ON person_documents TO renshe_maint;

-- ------------------------------------------------------------------ enterprises (tenant)

-- The USCC is public registration data, not personal data: kept in clear (unique per district).
-- The basic deposit account (基本存款账户) is protected like a person's account.
CREATE TABLE enterprises (
  tenant_id            uuid NOT NULL REFERENCES org_units (id),
  id                   uuid NOT NULL DEFAULT gen_random_uuid(),
  name                 text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  uscc                 text NOT NULL
                       CHECK (uscc ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
  legal_representative text NOT NULL CHECK (length(btrim(legal_representative)) BETWEEN 1 AND 100),
  registered_on        date,
  registered_district  text CHECK (registered_district ~ '^[0-9]{6}$'),
  bank_account_enc     text,
  bank_account_index   bytea,
  bank_account_masked  text,
  bank_account_name    text,
  bank_name            text,
  bank_branch_code     text,
  address              text,
  notes                text,
  version              integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_by           uuid REFERENCES users (id),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT enterprises_unique_uscc UNIQUE (tenant_id, uscc),
  CHECK ((bank_account_enc IS NULL) = (bank_account_index IS NULL))
);
CREATE INDEX enterprises_recent ON enterprises (tenant_id, created_at DESC, id DESC);
CREATE INDEX enterprises_name ON enterprises (tenant_id, name text_pattern_ops);
SELECT renshe_protect('enterprises');
GRANT SELECT, INSERT, UPDATE ON enterprises TO renshe_app;
GRANT SELECT ON enterprises TO renshe_maint;

-- Founder (创办人) or employee (员工). The composite foreign keys make a link to another
-- district's person or enterprise impossible even if application code forgot to check.
CREATE TABLE person_enterprise_links (
  tenant_id     uuid NOT NULL REFERENCES org_units (id),
  id            uuid NOT NULL DEFAULT gen_random_uuid(),
  person_id     uuid NOT NULL,
  enterprise_id uuid NOT NULL,
  role          text NOT NULL CHECK (role IN ('founder', 'employee')),
  since         date,
  until         date,
  created_by    uuid REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id),
  FOREIGN KEY (tenant_id, enterprise_id) REFERENCES enterprises (tenant_id, id),
  CHECK (until IS NULL OR since IS NULL OR until >= since)
);
-- One open link per person, enterprise and role (a person who left and came back gets a new one).
CREATE UNIQUE INDEX person_enterprise_links_open
  ON person_enterprise_links (tenant_id, person_id, enterprise_id, role) WHERE until IS NULL;
CREATE INDEX person_enterprise_links_enterprise ON person_enterprise_links (tenant_id, enterprise_id);
SELECT renshe_protect('person_enterprise_links');
GRANT SELECT, INSERT, UPDATE, DELETE ON person_enterprise_links TO renshe_app;
GRANT SELECT ON person_enterprise_links TO renshe_maint;

-- ------------------------------------------------------------------ city-wide program receipts

-- One row per document of a person who received a once-per-lifetime program (written by the
-- subsidies domain). A district reads only its own rows; the question "did this document receive
-- program P anywhere in the city" is answered by the gate below, yes or no, nothing else.
CREATE TABLE program_receipts (
  tenant_id      uuid NOT NULL REFERENCES org_units (id),
  id             uuid NOT NULL DEFAULT gen_random_uuid(),
  program_code   text NOT NULL CHECK (program_code ~ '^[a-z0-9_.-]{1,64}$'),
  document_index bytea NOT NULL,
  person_id      uuid,
  award_ref      text NOT NULL CHECK (length(award_ref) BETWEEN 1 AND 200),
  received_on    date NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT program_receipts_once UNIQUE (tenant_id, program_code, document_index, award_ref),
  FOREIGN KEY (tenant_id, person_id) REFERENCES persons (tenant_id, id)
);
CREATE INDEX program_receipts_lookup ON program_receipts (document_index, program_code);
SELECT renshe_protect('program_receipts');
-- DELETE: a receipt is withdrawn when its payment is reversed (bank return, clawback).
GRANT SELECT, INSERT, DELETE ON program_receipts TO renshe_app;
GRANT SELECT ON program_receipts TO renshe_maint;

-- The gate: runs as renshe_program_gate, which reads the two columns it needs of every tenant's
-- receipts. Keyed on current_user, not on role membership: the owner (a member, to hand the
-- function over) must not match.
GRANT SELECT (document_index, program_code) ON program_receipts TO renshe_program_gate;
CREATE POLICY program_gate_select ON program_receipts FOR SELECT
  USING (current_user = 'renshe_program_gate');

CREATE FUNCTION document_received_program(p_index bytea, p_program text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (
    SELECT 1 FROM program_receipts WHERE document_index = p_index AND program_code = p_program
  )
$$;
ALTER FUNCTION document_received_program(bytea, text) OWNER TO renshe_program_gate;
REVOKE ALL ON FUNCTION document_received_program(bytea, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION document_received_program(bytea, text) TO renshe_app;
