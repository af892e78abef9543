-- 0012 payment_lines_of_batch (tenant_id, batch_id, seq) repeated the index behind the unique
-- constraint payment_lines_seq on the very same columns: every line paid for two. The constraint's
-- index serves the batch's lines in order and the next sequence number from its end.
DROP INDEX payment_lines_of_batch;
