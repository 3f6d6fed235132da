-- An AuditEvent is recorded by ONE row: its link of the hash chain and its document, both in
-- audit_inbox. The audit filer (src/fhir/audit-trail.ts fileAuditEvents) later moves the link into
-- audit_chain and the document into fhir_resource with its index rows, in one transaction. Before
-- this migration the chain row was written on the read's path beside the inbox row: two inserts
-- and a 1.4 KB jsonb document per answered read, where one row of text now does.
--
-- Rows recorded before this migration have no link columns (their chain row is already in
-- audit_chain); the filer files their documents only.
ALTER TABLE audit_inbox
  ALTER COLUMN content TYPE text USING content::text,
  ADD COLUMN event_id text,
  ADD COLUMN patient_ids text[],
  ADD COLUMN recorded timestamptz,
  ADD COLUMN prev_hash text,
  ADD COLUMN hash text;

-- Every link of the chain, filed or waiting: what verification, the chain's head and a patient's
-- access report read. A seq is in one of the two tables at any moment (filing moves it whole).
CREATE VIEW audit_links AS
  SELECT seq, event_id, patient_ids, recorded, prev_hash, hash FROM audit_chain
  UNION ALL
  SELECT seq, event_id, patient_ids, recorded, prev_hash, hash FROM audit_inbox WHERE hash IS NOT NULL;

-- Records links chained after a head the caller remembered (not read under the chain lock), when
-- that head is still the chain's last link; answers false, writing nothing, when it is not. The
-- checks run after the lock is taken, each statement of a volatile function with a fresh snapshot,
-- so they see whatever another appender or filer committed while this one waited (a check in the
-- calling statement would judge by the statement's older snapshot, and a link filed meanwhile
-- from the inbox to the chain would no longer collide with a new one in the inbox's key).
CREATE FUNCTION custodian_audit_record_after(
  head_seq bigint,
  head_hash text,
  lock_key bigint,
  seqs bigint[],
  event_ids text[],
  patients text[],
  recorded_at timestamptz,
  prev_hashes text[],
  hashes text[],
  contents text[]
) RETURNS boolean AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(lock_key);
  -- Each table probed by its key (a probe of the audit_links view was planned as a scan of the
  -- inbox, which filing keeps full of dead rows between autovacuums).
  IF head_seq > 0
     AND NOT EXISTS (SELECT 1 FROM audit_inbox WHERE seq = head_seq AND hash = head_hash)
     AND NOT EXISTS (SELECT 1 FROM audit_chain WHERE seq = head_seq AND hash = head_hash) THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM audit_inbox WHERE seq = head_seq + 1)
     OR EXISTS (SELECT 1 FROM audit_chain WHERE seq = head_seq + 1) THEN
    RETURN false;
  END IF;
  INSERT INTO audit_inbox (seq, event_id, patient_ids, recorded, prev_hash, hash, content)
  SELECT s, i, ARRAY(SELECT jsonb_array_elements_text(p::jsonb)), recorded_at, ph, h, c
    FROM unnest(seqs, event_ids, patients, prev_hashes, hashes, contents) AS x(s, i, p, ph, h, c);
  RETURN true;
END;
$$ LANGUAGE plpgsql;

-- The inbox refuses edits and gives up a row only once its link is in the chain (the filer moves
-- the link first, then the document with the row's deletion): an unfiled event is as append-only
-- as a filed one. A row recorded before this migration has its chain row already.
CREATE FUNCTION custodian_audit_inbox_filed_only() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND EXISTS (
    SELECT 1 FROM audit_chain WHERE seq = OLD.seq AND (OLD.hash IS NULL OR hash = OLD.hash)
  ) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit inbox gives up only events filed into the chain: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_inbox_filed_only BEFORE UPDATE OR DELETE ON audit_inbox
  FOR EACH ROW EXECUTE FUNCTION custodian_audit_inbox_filed_only();
CREATE TRIGGER audit_inbox_no_truncate BEFORE TRUNCATE ON audit_inbox
  FOR EACH STATEMENT EXECUTE FUNCTION custodian_audit_append_only();
