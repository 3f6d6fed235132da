-- The audit trail's inbox: an AuditEvent is recorded by its chain row (audit_chain) and its
-- document here, in one small statement on the path of every answered read; the audit filer
-- (src/fhir/audit-trail.ts fileAuditEvents) later moves the documents, many per statement, into
-- fhir_resource with their search index rows. Filing deletes the rows it moved (so this table is
-- not append-only); a document removed or edited here before filing breaks the chain, which
-- `audit verify` reports. Not patient-scoped: it shares the chain's placement (docs/scaling.md).
CREATE TABLE audit_inbox (
  seq bigint PRIMARY KEY,
  content jsonb NOT NULL
);
