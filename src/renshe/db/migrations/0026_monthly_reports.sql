-- 0026 the monthly report (月报, shared/spec/06-rollups.md): the bureau's statistics of a month as
-- an XLSX workbook, written by the rollups.monthly_report job on the first working day of the next
-- month, kept as it was sent. The city bureau's own row (tenant_id = the city); one per month,
-- replaced only by a regeneration, which gives the same bytes when the month's figures are the
-- same (renshe.rollups.monthly).

CREATE TABLE monthly_reports (
  tenant_id    uuid NOT NULL REFERENCES org_units (id),
  id           uuid NOT NULL DEFAULT gen_random_uuid(),
  month        date NOT NULL CHECK (extract(day FROM month) = 1),
  content      bytea NOT NULL CHECK (octet_length(content) BETWEEN 1 AND 20000000),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  generated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  CONSTRAINT monthly_reports_once UNIQUE (tenant_id, month)
);
SELECT renshe_protect('monthly_reports');
GRANT SELECT, INSERT, UPDATE ON monthly_reports TO renshe_app;
GRANT SELECT ON monthly_reports TO renshe_maint;
