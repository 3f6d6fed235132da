-- What happened to each duplicate pair and when: scored onto the worklist, merged, unmerged,
-- decided not to be duplicates; who did it and why. One row per event; the pair in canonical
-- order (patient_a < patient_b). patient_id is the pair's first patient (the distribution column).
-- Rows are only ever added.
CREATE TABLE mpi_pair_event (
  id text NOT NULL,
  patient_id text NOT NULL,
  patient_a text NOT NULL,
  patient_b text NOT NULL,
  event text NOT NULL CHECK (event IN ('scored', 'merged', 'unmerged', 'not-duplicate')),
  actor text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  reason text,
  detail jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (patient_id, id)
);
CREATE INDEX mpi_pair_event_pair ON mpi_pair_event (patient_a, patient_b, at);
CREATE INDEX mpi_pair_event_b ON mpi_pair_event (patient_b);

-- Why a merge was made or undone, as the reviewer said.
ALTER TABLE mpi_merge ADD COLUMN reason text;
ALTER TABLE mpi_merge ADD COLUMN unmerge_reason text;
-- A merge given a result-patient replaced the survivor's content: its unmerge puts the old content back.
ALTER TABLE mpi_merge ADD COLUMN result_patient boolean NOT NULL DEFAULT false;

-- Pairs decided before this table existed keep their history.
INSERT INTO mpi_pair_event (id, patient_id, patient_a, patient_b, event, actor, at, detail)
SELECT 'scored-' || task_id, patient_a, patient_a, patient_b, 'scored', 'mpi:duplicate-finder', created_at,
       jsonb_build_object('score', score, 'grade', grade, 'taskId', task_id)
  FROM mpi_review;
INSERT INTO mpi_pair_event (id, patient_id, patient_a, patient_b, event, actor, at, reason)
SELECT 'not-duplicate-' || patient_a || '-' || patient_b, patient_a, patient_a, patient_b, 'not-duplicate',
       decided_by, decided_at, reason
  FROM mpi_not_duplicate;
INSERT INTO mpi_pair_event (id, patient_id, patient_a, patient_b, event, actor, at, detail)
SELECT 'merged-' || id, LEAST(source_id, target_id), LEAST(source_id, target_id), GREATEST(source_id, target_id),
       'merged', merged_by, merged_at, jsonb_build_object('mergeId', id, 'source', source_id, 'target', target_id)
  FROM mpi_merge;
INSERT INTO mpi_pair_event (id, patient_id, patient_a, patient_b, event, actor, at, detail)
SELECT 'unmerged-' || id, LEAST(source_id, target_id), LEAST(source_id, target_id), GREATEST(source_id, target_id),
       'unmerged', unmerged_by, unmerged_at, jsonb_build_object('mergeId', id, 'source', source_id, 'target', target_id)
  FROM mpi_merge WHERE unmerged_at IS NOT NULL;
