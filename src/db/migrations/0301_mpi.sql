-- Master patient index inside the record store: blocking keys of live patients (candidates
-- are found by SQL equality on a key), the trained match model, the scoring watermark, the
-- duplicate-review pairs (each backed by a FHIR Task), decisions that a pair is not a
-- duplicate, and merges with the before-version of every resource they touched (for unmerge).
CREATE TABLE mpi_block_key (
  patient_id text NOT NULL,
  key text NOT NULL
);
CREATE INDEX mpi_block_key_key ON mpi_block_key (key, patient_id);
CREATE INDEX mpi_block_key_patient ON mpi_block_key (patient_id);

CREATE TABLE mpi_model (
  id integer PRIMARY KEY,
  model jsonb NOT NULL,
  trained_on integer NOT NULL,
  source text NOT NULL,
  trained_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mpi_state (
  name text PRIMARY KEY,
  updated timestamptz NOT NULL,
  last_id text NOT NULL
);

CREATE TABLE mpi_review (
  patient_a text NOT NULL,
  patient_b text NOT NULL,
  task_id text NOT NULL,
  score double precision NOT NULL,
  grade text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (patient_a, patient_b)
);
CREATE INDEX mpi_review_task ON mpi_review (task_id);
CREATE INDEX mpi_review_b ON mpi_review (patient_b);

CREATE TABLE mpi_not_duplicate (
  patient_a text NOT NULL,
  patient_b text NOT NULL,
  reason text NOT NULL,
  decided_by text NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (patient_a, patient_b)
);

CREATE TABLE mpi_merge (
  id text PRIMARY KEY,
  source_id text NOT NULL,
  target_id text NOT NULL,
  merged_by text NOT NULL,
  merged_at timestamptz NOT NULL DEFAULT now(),
  before_versions jsonb NOT NULL,
  unmerged_at timestamptz,
  unmerged_by text
);
CREATE INDEX mpi_merge_source ON mpi_merge (source_id);
CREATE INDEX mpi_merge_target ON mpi_merge (target_id);
