-- Every version was stored twice: the current one in fhir_resource and again in
-- fhir_resource_history. From here the history table keeps only superseded versions (a write
-- moves the version it replaces there), which halves what an import writes. The view
-- fhir_resource_version is every version, current or not.
ALTER TABLE fhir_resource_history DISABLE TRIGGER USER;
DELETE FROM fhir_resource_history h USING fhir_resource r
 WHERE h.resource_type = r.resource_type AND h.id = r.id AND h.version_id = r.version_id;
ALTER TABLE fhir_resource_history ENABLE TRIGGER USER;

CREATE INDEX fhir_resource_all_updated ON fhir_resource (last_updated);

CREATE VIEW fhir_resource_version AS
  SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content FROM fhir_resource
  UNION ALL
  SELECT resource_type, id, version_id, last_updated, deleted, patient_id, content FROM fhir_resource_history;
