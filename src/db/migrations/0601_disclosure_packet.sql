-- Release of information: the packet exactly as it was released (PDF and FHIR Bundle), kept so
-- the copy sent can be shown again byte for byte. One row per released request (the request is
-- a FHIR Task; the disclosure itself is an AuditEvent). patient_id is the distribution column.
CREATE TABLE disclosure_packet (
  patient_id text NOT NULL,
  request_id text NOT NULL,
  released_at timestamptz NOT NULL,
  pdf bytea,
  bundle jsonb,
  sha256 text NOT NULL,
  PRIMARY KEY (patient_id, request_id)
);
