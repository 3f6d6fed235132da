-- The audit trail: AuditEvent resources live in fhir_resource (so they are searchable like any
-- resource), and audit_chain holds the hash chain over them. Both refuse UPDATE and DELETE.
CREATE TABLE audit_chain (
  seq bigint PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  patient_ids text[] NOT NULL DEFAULT '{}',
  recorded timestamptz NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
CREATE INDEX audit_chain_patients ON audit_chain USING gin (patient_ids);

CREATE FUNCTION custodian_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_chain_no_update BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION custodian_audit_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION custodian_audit_append_only();
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON fhir_resource
  FOR EACH ROW WHEN (OLD.resource_type = 'AuditEvent') EXECUTE FUNCTION custodian_audit_append_only();
CREATE TRIGGER audit_event_history_no_update BEFORE UPDATE OR DELETE ON fhir_resource_history
  FOR EACH ROW WHEN (OLD.resource_type = 'AuditEvent') EXECUTE FUNCTION custodian_audit_append_only();
CREATE TRIGGER fhir_resource_no_truncate BEFORE TRUNCATE ON fhir_resource
  FOR EACH STATEMENT EXECUTE FUNCTION custodian_audit_append_only();
