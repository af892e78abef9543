-- 0011 the follow-up link's own index: a payment line that another line follows can be found
-- without scanning the district's lines (the foreign key's check on delete or key change, and
-- "which attempt followed this failed line" on an award's history).
CREATE INDEX payment_lines_follow_ups ON payment_lines (tenant_id, follows_line_id)
  WHERE follows_line_id IS NOT NULL;
