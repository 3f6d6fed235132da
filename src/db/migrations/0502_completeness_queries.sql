-- Physician queries (src/completeness/queries.ts): one row per query Task, for the provider's
-- inbox and the turnaround report (answered_at - sent_at) in SQL.
CREATE TABLE completeness_query (
  task_id text PRIMARY KEY,
  patient_id text NOT NULL,
  encounter_id text NOT NULL,
  owner_id text NOT NULL,
  sent_by text NOT NULL,
  status text NOT NULL,
  sent_at timestamptz NOT NULL,
  answered_at timestamptz,
  communication_id text
);
CREATE INDEX completeness_query_owner ON completeness_query (owner_id, status);
CREATE INDEX completeness_query_encounter ON completeness_query (encounter_id);
