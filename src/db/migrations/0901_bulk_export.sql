-- Bulk Data $export (src/bulk): one row per export job and its NDJSON output, kept in the
-- database so any server of a deployment can answer a poll or a download, and removed whole
-- when the job expires or is cancelled. Not patient-scoped: one export spans many patients.
CREATE TABLE bulk_export_job (
  id text PRIMARY KEY,
  -- Who asked: files are served to this user only; their access is what the export ran under.
  owner_id text NOT NULL,
  context jsonb NOT NULL,
  request jsonb NOT NULL,
  request_url text NOT NULL,
  status text NOT NULL CHECK (status IN ('in-progress', 'complete', 'error')),
  progress text NOT NULL DEFAULT '',
  error text,
  transaction_time timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Moved on every page: a job whose runner died with its server stops moving.
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  expires_at timestamptz
);
CREATE INDEX bulk_export_job_expiry ON bulk_export_job (expires_at);

-- One output file (a resource type, split past a size) of a job.
CREATE TABLE bulk_export_file (
  job_id text NOT NULL REFERENCES bulk_export_job (id) ON DELETE CASCADE,
  file_no integer NOT NULL,
  resource_type text NOT NULL,
  resource_count integer NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, file_no)
);

-- A file's content as NDJSON pieces (one page of records each), read back in order: a file is
-- written and served a piece at a time, never held whole in memory.
CREATE TABLE bulk_export_piece (
  job_id text NOT NULL,
  file_no integer NOT NULL,
  piece_no integer NOT NULL,
  ndjson text NOT NULL,
  PRIMARY KEY (job_id, file_no, piece_no),
  FOREIGN KEY (job_id, file_no) REFERENCES bulk_export_file (job_id, file_no) ON DELETE CASCADE
);
