-- 0013 state machines in the database: a batch, a payment line and an award change state only
-- along an allowed edge, whoever writes (the application role, the owner, an operator's psql).
--
-- Why: the services already refuse an illegal step (cancelling an exported batch), but a bug
-- or a hand-written UPDATE must not be able to make money sent to the bank cancellable again,
-- mark a line paid that the bank never answered, or put a paid award back in the queue. The
-- allowed edges are written here once, as data, and every UPDATE that changes `state` (and
-- every INSERT) is checked against them. Staying in the same state is always allowed (a
-- reconciliation that leaves lines pending rewrites the batch's own state).
--
-- Refusals are check_violation (SQLSTATE 23514) naming the machine as the constraint, so a
-- caller can tell them from other CHECKs (batches_maker_checker) and the message names both
-- states. Only a superuser can step around them (session_replication_role = replica), as it
-- can around any trigger; no application or operator role is one.

CREATE FUNCTION renshe_state_step_allowed(machine text, from_state text, to_state text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  -- a new row comes from '(new)', not NULL: a NULL in the row comparison would make it unknown
  SELECT from_state IS NOT DISTINCT FROM to_state OR (machine, coalesce(from_state, '(new)'), to_state) IN (
    -- 发放批次: building → built → approved → exported → reconciled → closed; cancelled only
    -- before the file went to the bank (and when a build ends up empty).
    ('disbursement_batches', '(new)',      'building'),
    ('disbursement_batches', 'building',   'built'),
    ('disbursement_batches', 'building',   'cancelled'),
    ('disbursement_batches', 'built',      'approved'),
    ('disbursement_batches', 'built',      'cancelled'),
    ('disbursement_batches', 'approved',   'exported'),
    ('disbursement_batches', 'approved',   'cancelled'),
    ('disbursement_batches', 'exported',   'reconciled'),
    ('disbursement_batches', 'reconciled', 'closed'),
    -- 明细: born pending; resolved once, by the bank (paid/failed) or by cancelling its batch.
    ('payment_lines', '(new)',   'pending'),
    ('payment_lines', 'pending', 'paid'),
    ('payment_lines', 'pending', 'failed'),
    ('payment_lines', 'pending', 'cancelled'),
    -- 申请/待发放: the services in renshe.subsidies.applications and renshe.disbursement.
    ('applications', '(new)',          'draft'),
    ('applications', 'draft',          'submitted'),
    ('applications', 'draft',          'withdrawn'),
    ('applications', 'submitted',      'approved'),
    ('applications', 'submitted',      'rejected'),
    ('applications', 'submitted',      'withdrawn'),
    ('applications', 'approved',       'in_notice'),
    ('applications', 'in_notice',      'ready'),
    ('applications', 'in_notice',      'on_hold'),
    ('applications', 'on_hold',        'ready'),
    ('applications', 'on_hold',        'in_notice'),
    ('applications', 'on_hold',        'rejected'),
    ('applications', 'ready',          'on_hold'),
    ('applications', 'ready',          'in_batch'),
    ('applications', 'in_batch',       'ready'),
    ('applications', 'in_batch',       'paid'),
    ('applications', 'in_batch',       'payment_failed'),
    ('applications', 'payment_failed', 'ready')
  )
$$;

-- One trigger function for the three tables; TG_TABLE_NAME picks the machine. On INSERT the
-- "from" state is NULL, so a row can only be born in its machine's first state.
CREATE FUNCTION renshe_refuse_illegal_state_step() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_from text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.state END;
BEGIN
  IF NOT renshe_state_step_allowed(TG_TABLE_NAME, v_from, NEW.state) THEN
    RAISE EXCEPTION '%: state % → % is not an allowed step', TG_TABLE_NAME,
        coalesce(v_from, '(new row)'), NEW.state
      USING ERRCODE = 'check_violation', CONSTRAINT = TG_TABLE_NAME || '_state_machine',
            TABLE = TG_TABLE_NAME;
  END IF;
  RETURN NEW;
END
$$;

-- A line's step also depends on where its batch is: it is cancelled only while the file has not
-- gone to the bank (its batch is cancelled in the same transaction), and paid or failed only by
-- the bank's answer to a file it received. Read under the caller's RLS: the batch is its own.
-- The search path is fixed (pg_temp last) so that a temporary table named disbursement_batches,
-- which any role may create, cannot stand in for the real one.
CREATE FUNCTION renshe_refuse_line_step_for_its_batch() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  v_batch text;
BEGIN
  SELECT state INTO v_batch FROM disbursement_batches WHERE tenant_id = NEW.tenant_id AND id = NEW.batch_id;
  v_batch := coalesce(v_batch, '(unseen)');
  IF (NEW.state = 'cancelled' AND v_batch NOT IN ('building', 'built', 'approved'))
     OR (NEW.state IN ('paid', 'failed') AND v_batch NOT IN ('exported', 'reconciled')) THEN
    RAISE EXCEPTION 'payment_lines: a line of a batch in state % cannot become %', v_batch, NEW.state
      USING ERRCODE = 'check_violation', CONSTRAINT = 'payment_lines_state_machine',
            TABLE = 'payment_lines';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER disbursement_batches_state_machine
  BEFORE INSERT OR UPDATE OF state ON disbursement_batches
  FOR EACH ROW EXECUTE FUNCTION renshe_refuse_illegal_state_step();
CREATE TRIGGER payment_lines_state_machine
  BEFORE INSERT OR UPDATE OF state ON payment_lines
  FOR EACH ROW EXECUTE FUNCTION renshe_refuse_illegal_state_step();
CREATE TRIGGER payment_lines_state_machine_batch
  BEFORE UPDATE OF state ON payment_lines
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION renshe_refuse_line_step_for_its_batch();
-- Awards are checked on UPDATE only: the application creates nothing but drafts, while test and
-- benchmark fixtures insert ready awards directly (as a superuser) to stand for the approval path.
CREATE TRIGGER applications_state_machine
  BEFORE UPDATE OF state ON applications
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
  EXECUTE FUNCTION renshe_refuse_illegal_state_step();
