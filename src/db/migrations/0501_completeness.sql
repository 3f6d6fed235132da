-- Chart completeness (src/completeness): the rules as versioned data, the change-feed watermarks,
-- and per-chart and per-deficiency rows that the worklist pages and the delinquency report
-- aggregates in SQL. The deficiencies themselves are FHIR Tasks; these rows name them by id.
CREATE TABLE completeness_rules (
  version integer PRIMARY KEY,
  rules jsonb NOT NULL,
  saved_by text NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE completeness_state (
  name text PRIMARY KEY,
  updated timestamptz NOT NULL,
  last_id text NOT NULL
);

-- One row per evaluated encounter (the chart): the discharge counts of the delinquency rate.
CREATE TABLE completeness_chart (
  encounter_id text PRIMARY KEY,
  patient_id text NOT NULL,
  class_code text,
  service text NOT NULL,
  attending_id text,
  attending_name text,
  admitted_at timestamptz,
  discharged_at timestamptz,
  evaluated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX completeness_chart_discharged ON completeness_chart (discharged_at);

-- One row per deficiency Task (status mirrors the Task's).
CREATE TABLE completeness_deficiency (
  task_id text PRIMARY KEY,
  patient_id text NOT NULL,
  encounter_id text NOT NULL,
  rule_id text NOT NULL,
  kind text NOT NULL,
  target text NOT NULL,
  description text NOT NULL,
  owner_id text,
  owner_name text,
  service text NOT NULL,
  status text NOT NULL,
  deficient_since timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  discharged_at timestamptz,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  closed_reason text
);
CREATE INDEX completeness_deficiency_encounter ON completeness_deficiency (encounter_id);
CREATE INDEX completeness_deficiency_open ON completeness_deficiency (status, discharged_at);
CREATE INDEX completeness_deficiency_owner ON completeness_deficiency (owner_id, status);

-- Which encounters a document was last seen filed to: a re-filed document re-evaluates both.
CREATE TABLE completeness_document_link (
  document_id text PRIMARY KEY,
  patient_id text,
  encounter_ids text[] NOT NULL
);
