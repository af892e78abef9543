-- 0008 indexes: batches built in time linear in the night's size; the list page's order.
-- Each build chunk takes the next ready awards by id and looks up each award's last failed line
-- (the follow-up link). Without these, every chunk re-walked the awards already moved to
-- in_batch and every award scanned all of its district's payment lines: quadratic in the night.

CREATE INDEX applications_ready_by_id ON applications (tenant_id, id) WHERE state = 'ready';

CREATE INDEX payment_lines_failed_of_award ON payment_lines (tenant_id, application_id, created_at DESC)
  WHERE state = 'failed';

-- The clerk's applications list, newest first (its default order), pages without sorting the district.
CREATE INDEX applications_newest ON applications (tenant_id, created_at DESC, id DESC);
