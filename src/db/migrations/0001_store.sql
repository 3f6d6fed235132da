-- The FHIR resource store: current versions, every version, and search index tables.
-- patient_id is the compartment owner (the Citus distribution key when one machine is outgrown).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

CREATE TABLE fhir_resource (
  resource_type text NOT NULL,
  id text NOT NULL,
  version_id bigint NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  patient_id text,
  security text[] NOT NULL DEFAULT '{}',
  content jsonb,
  PRIMARY KEY (resource_type, id)
);
CREATE INDEX fhir_resource_patient ON fhir_resource (patient_id, resource_type);
CREATE INDEX fhir_resource_updated ON fhir_resource (resource_type, last_updated, id);

CREATE TABLE fhir_resource_history (
  resource_type text NOT NULL,
  id text NOT NULL,
  version_id bigint NOT NULL,
  last_updated timestamptz NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  patient_id text,
  content jsonb,
  PRIMARY KEY (resource_type, id, version_id)
);
CREATE INDEX fhir_resource_history_updated ON fhir_resource_history (resource_type, last_updated);
CREATE INDEX fhir_resource_history_all_updated ON fhir_resource_history (last_updated);

-- Search index rows, rewritten with each version. Values are normalised at write time.
CREATE TABLE search_token (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  patient_id text,
  param text NOT NULL,
  system text,
  code text,
  text_value text
);
CREATE INDEX search_token_lookup ON search_token (resource_type, param, code, system);
CREATE INDEX search_token_owner ON search_token (resource_type, resource_id);

CREATE TABLE search_string (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  patient_id text,
  param text NOT NULL,
  norm text NOT NULL,
  exact text NOT NULL
);
CREATE INDEX search_string_prefix ON search_string (resource_type, param, norm text_pattern_ops);
CREATE INDEX search_string_trgm ON search_string USING gin (norm gin_trgm_ops);
CREATE INDEX search_string_owner ON search_string (resource_type, resource_id);

CREATE TABLE search_date (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  patient_id text,
  param text NOT NULL,
  low timestamptz,
  high timestamptz
);
CREATE INDEX search_date_lookup ON search_date (resource_type, param, low, high);
CREATE INDEX search_date_owner ON search_date (resource_type, resource_id);

CREATE TABLE search_reference (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  patient_id text,
  param text NOT NULL,
  target_type text,
  target_id text NOT NULL
);
CREATE INDEX search_reference_lookup ON search_reference (resource_type, param, target_id);
CREATE INDEX search_reference_target ON search_reference (target_type, target_id);
CREATE INDEX search_reference_owner ON search_reference (resource_type, resource_id);

CREATE TABLE search_number (
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  patient_id text,
  param text NOT NULL,
  value numeric,
  system text,
  unit text
);
CREATE INDEX search_number_lookup ON search_number (resource_type, param, value);
CREATE INDEX search_number_owner ON search_number (resource_type, resource_id);
