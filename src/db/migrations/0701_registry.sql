-- Cancer registry (src/registry): the suspense queue of casefinding, the registry's cases and
-- their abstracts as NAACCR items, the change-feed watermarks, and the ICD-O-3 reference lists a
-- site loads from WHO's files. Every patient-scoped table carries patient_id first in its primary
-- key, the distribution column for Citus.

-- One row per reportable (or review-flagged) code found in a Condition or pathology report.
CREATE TABLE registry_suspense (
  patient_id text NOT NULL,
  source_ref text NOT NULL,
  code text NOT NULL,
  encounter_id text,
  flag text NOT NULL,
  site_key text NOT NULL,
  status text NOT NULL,
  case_id text,
  found_at timestamptz NOT NULL DEFAULT now(),
  decided_by text,
  decided_at timestamptz,
  PRIMARY KEY (patient_id, source_ref)
);
CREATE INDEX registry_suspense_status ON registry_suspense (status, found_at);

-- One row per tumour (primary) in the registry.
CREATE TABLE registry_case (
  patient_id text NOT NULL,
  case_id text NOT NULL,
  site_key text NOT NULL,
  source_code text,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (patient_id, case_id)
);
CREATE INDEX registry_case_status ON registry_case (status);

-- The abstract: one row per NAACCR item, by item number and XML id. Patient-level items
-- (patientIdNumber, dateOfBirth, sex, dateOfLastContact, vitalStatus) have case_id ''.
CREATE TABLE registry_item (
  patient_id text NOT NULL,
  case_id text NOT NULL,
  item_number integer NOT NULL,
  naaccr_id text NOT NULL,
  value text NOT NULL,
  PRIMARY KEY (patient_id, case_id, item_number)
);

CREATE TABLE registry_state (
  name text PRIMARY KEY,
  updated timestamptz NOT NULL,
  last_id text NOT NULL
);

-- ICD-O-3 topography ('site') and morphology ('histology') codes, loaded from the site's copy.
CREATE TABLE registry_icdo3 (
  kind text NOT NULL,
  code text NOT NULL,
  label text NOT NULL,
  PRIMARY KEY (kind, code)
);
