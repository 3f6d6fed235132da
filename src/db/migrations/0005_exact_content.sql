-- The exact JSON text of a version whose numbers jsonb would rewrite (issue #14 item 4): FHIR
-- decimals keep their precision (0.40 is not 0.4) and jsonb writes 1E-22 as a long decimal. NULL
-- for every other version (its content is what was sent); content stays the jsonb that search,
-- the access filter and comparisons read. A text column keeps the text as it is.
ALTER TABLE fhir_resource ADD COLUMN IF NOT EXISTS content_text text;
ALTER TABLE fhir_resource_history ADD COLUMN IF NOT EXISTS content_text text;

CREATE OR REPLACE VIEW fhir_resource_version AS
  SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content, content_text FROM fhir_resource
  UNION ALL
  SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content, content_text FROM fhir_resource_history;
