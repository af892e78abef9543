-- 0005 registry imports (批量导入): one row per uploaded spreadsheet of people or enterprises.
--
-- The uploaded file holds personal numbers, so it is stored only as ciphertext bound to its place
-- (import_batches.file, tenant, row) — the same field encryption as the registry's numbers. The
-- validation report (row number, field, message id, parameters) never quotes a cell's value.
-- Status: uploaded → validating → invalid | valid → importing → imported (or failed).

CREATE TABLE import_batches (
  tenant_id       uuid NOT NULL REFERENCES org_units (id),
  id              uuid NOT NULL DEFAULT gen_random_uuid(),
  kind            text NOT NULL CHECK (kind IN ('people', 'enterprises')),
  filename        text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  file_format     text NOT NULL CHECK (file_format IN ('csv', 'xlsx')),
  file_size       integer NOT NULL CHECK (file_size >= 0),
  file_sha256     bytea NOT NULL,
  file_enc        text,
  status          text NOT NULL DEFAULT 'uploaded'
                  CHECK (status IN ('uploaded', 'validating', 'invalid', 'valid', 'importing',
                                    'imported', 'failed')),
  row_count       integer NOT NULL DEFAULT 0,
  error_count     integer NOT NULL DEFAULT 0,
  duplicate_count integer NOT NULL DEFAULT 0,
  imported_count  integer NOT NULL DEFAULT 0,
  report          jsonb,
  validate_job_id uuid,
  import_job_id   uuid,
  created_by      uuid REFERENCES users (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX import_batches_recent ON import_batches (tenant_id, created_at DESC, id DESC);
SELECT renshe_protect('import_batches');
-- DELETE: the clerk discards a batch; the file is also dropped (file_enc = NULL) once imported.
GRANT SELECT, INSERT, UPDATE, DELETE ON import_batches TO renshe_app;
GRANT SELECT ON import_batches TO renshe_maint;
