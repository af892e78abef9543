-- 0018 the nightly issuance on a table it fills from empty (docs/performance.md, "Talent cards").
--
-- 1. Planner statistics for the tables a night fills. The foreign-key checks of a transaction
--    are planned once per connection and kept. A district's first night plans the check of
--    talent_card_issuances -> talent_cards while talent_cards holds a few rows and has never been
--    analysed: the planner cannot tell the district's index (tenant_id, year) from the primary
--    key (tenant_id, id), keeps the smaller one, and every later check walks all the district's
--    cards of the year (650 µs a card at 5,000 cards, growing with each chunk) until autovacuum
--    analyses the table a minute later. renshe_refresh_statistics lets the issuing job (the
--    application role, which owns nothing) analyse the two tables when their statistics are
--    missing or describe less than a quarter of the table; ANALYZE also drops the cached plans.
--
-- 2. The approvals waiting for a card in the order the night takes them (oldest decision first):
--    a chunk reads its 250 from the index instead of sorting every waiting approval of the
--    district for each chunk.
--
-- 3. The reservation carries the district's code, so the numbering trigger no longer reads
--    org_units once per card.
--
-- 4. Checks a new card paid for twice. A card's, an issuance's and a timeline event's tenant_id
--    already reaches org_units through their foreign key to the application (tenant_id,
--    application_id), whose tenant_id references org_units; the direct reference checked the
--    same thing again for every row (3 to 4 µs each). And the one-successor rule of a card is a
--    unique index over the cards that have a predecessor only: a new card (no predecessor) no
--    longer adds an entry nobody can collide with.

CREATE FUNCTION renshe_refresh_statistics(p_table regclass) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_relpages   integer;
  v_reltuples  real;
  v_pages      bigint;
BEGIN
  IF p_table NOT IN ('talent_cards'::regclass, 'talent_card_issuances'::regclass) THEN
    RAISE EXCEPTION 'renshe_refresh_statistics: % is not a table a nightly job fills', p_table
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT relpages, reltuples INTO v_relpages, v_reltuples FROM pg_class WHERE oid = p_table;
  v_pages := pg_relation_size(p_table) / current_setting('block_size')::integer;
  IF v_reltuples >= 0 AND v_pages <= 4 * greatest(v_relpages, 2) THEN
    RETURN false;  -- the statistics still describe the table well enough to plan by
  END IF;
  EXECUTE format('ANALYZE %s', p_table);
  RETURN true;
END
$$;
REVOKE ALL ON FUNCTION renshe_refresh_statistics(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION renshe_refresh_statistics(regclass) TO renshe_app;

CREATE OR REPLACE FUNCTION talent_card_block_reserve(p_tenant uuid, p_year integer, p_count integer)
RETURNS TABLE (first_seq integer, first_index integer)
LANGUAGE plpgsql AS $$
DECLARE
  v_last  integer;
  v_index integer;
  v_code  text;
BEGIN
  IF p_count < 1 THEN
    RAISE EXCEPTION 'talent_card_block_reserve: reserve at least one card' USING ERRCODE = 'check_violation';
  END IF;
  SELECT code INTO STRICT v_code FROM org_units WHERE id = p_tenant;
  INSERT INTO record_numbers AS r (tenant_id, kind, year, last_value) VALUES (p_tenant, 'QD', p_year, p_count)
  ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last_value = r.last_value + p_count
  RETURNING r.last_value INTO v_last;
  INSERT INTO talent_status_lists AS s (tenant_id, last_index) VALUES (p_tenant, p_count - 1)
  ON CONFLICT (tenant_id) DO UPDATE SET last_index = s.last_index + p_count
  RETURNING s.last_index INTO v_index;
  first_seq := v_last - p_count + 1;
  first_index := v_index - p_count + 1;
  -- tenant : year : next number : last number : next index : the district's code
  PERFORM set_config('renshe.card_block',
    concat_ws(':', p_tenant, p_year, first_seq, v_last, first_index, v_code), true);
  RETURN NEXT;
END
$$;

CREATE OR REPLACE FUNCTION talent_cards_number() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  v_seq   integer;
  v_code  text;
  v_block text[] := string_to_array(nullif(current_setting('renshe.card_block', true), ''), ':');
BEGIN
  NEW.year := extract(year FROM NEW.valid_from)::integer;
  IF v_block IS NOT NULL AND v_block[1]::uuid = NEW.tenant_id AND v_block[2]::integer = NEW.year
     AND v_block[3]::integer <= v_block[4]::integer THEN
    -- the next number and index of the reservation, in insertion order
    v_seq := v_block[3]::integer;
    NEW.status_index := v_block[5]::integer;
    v_code := v_block[6];
    PERFORM set_config('renshe.card_block',
      concat_ws(':', v_block[1], v_block[2], v_seq + 1, v_block[4], NEW.status_index + 1, v_code), true);
  ELSE
    v_seq := record_number_next(NEW.tenant_id, 'QD', NEW.year);
    INSERT INTO talent_status_lists AS s (tenant_id, last_index) VALUES (NEW.tenant_id, 0)
    ON CONFLICT (tenant_id) DO UPDATE SET last_index = s.last_index + 1
    RETURNING s.last_index INTO NEW.status_index;
    SELECT code INTO STRICT v_code FROM org_units WHERE id = NEW.tenant_id;
  END IF;
  NEW.card_no := talent_card_number(v_code, NEW.year, v_seq);
  RETURN NEW;
END
$$;

DROP INDEX talent_applications_to_issue;
CREATE INDEX talent_applications_to_issue ON talent_applications (tenant_id, decided_at, id) WHERE state = 'approved';

ALTER TABLE talent_cards DROP CONSTRAINT talent_cards_tenant_id_fkey;
ALTER TABLE talent_card_issuances DROP CONSTRAINT talent_card_issuances_tenant_id_fkey;
ALTER TABLE talent_application_events DROP CONSTRAINT talent_application_events_tenant_id_fkey;

ALTER TABLE talent_cards DROP CONSTRAINT talent_cards_tenant_id_replaces_card_id_key;
CREATE UNIQUE INDEX talent_cards_one_successor ON talent_cards (tenant_id, replaces_card_id)
  WHERE replaces_card_id IS NOT NULL;
