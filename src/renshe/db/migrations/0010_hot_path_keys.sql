-- 0010 the nightly build's hot path: each payment line and each timeline event checked its
-- district against org_units once more, although its composite key to the batch / application
-- (both carrying tenant_id, both checked against org_units) already proves the district exists.
-- Dropping the redundant checks keeps tenant_id in every key between tenant tables.

ALTER TABLE payment_lines DROP CONSTRAINT payment_lines_tenant_id_fkey;
ALTER TABLE application_events DROP CONSTRAINT application_events_tenant_id_fkey;
