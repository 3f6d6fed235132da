-- Records retention (src/retention): the site's retention schedule, legal holds, and destruction
-- runs with their certificates.

-- The schedule as data, one row per record type ('*': every record of the chart). Years run from
-- the last encounter; a minor's records also to majority_age + minor_years; a deceased patient's
-- to the date of death + deceased_years when set.
CREATE TABLE retention_rule (
  id text PRIMARY KEY,
  record_type text NOT NULL,
  adult_years integer NOT NULL,
  majority_age integer NOT NULL DEFAULT 18,
  minor_years integer NOT NULL,
  deceased_years integer,
  description text NOT NULL
);
INSERT INTO retention_rule (id, record_type, adult_years, majority_age, minor_years, deceased_years, description) VALUES
  ('chart', '*', 10, 18, 3, 10, 'Medical record: adults 10 years after the last encounter; minors to age 21 (majority 18 + 3) or 10 years, whichever is later; deceased 10 years after death'),
  ('mammography', 'ImagingStudy', 10, 18, 10, 10, 'Mammography and imaging (MQSA): at least 10 years after the last study'),
  ('research', 'ResearchSubject', 6, 18, 6, 6, 'Research records: 6 years after the last encounter');

-- A legal hold on a patient's records (all of them, one encounter, or a date range).
CREATE TABLE retention_hold (
  patient_id text NOT NULL,
  id text NOT NULL,
  scope text NOT NULL,
  encounter_id text,
  date_from date,
  date_to date,
  matter text NOT NULL,
  custodian text,
  placed_by text NOT NULL,
  placed_at timestamptz NOT NULL,
  released_by text,
  released_at timestamptz,
  release_reason text,
  PRIMARY KEY (patient_id, id)
);
CREATE INDEX retention_hold_id ON retention_hold (id);

-- A destruction run spans patients: what was due, who proposed, approved and destroyed it, and
-- the certificate of destruction (kept after the records are gone).
CREATE TABLE retention_destruction_run (
  id text PRIMARY KEY,
  as_of date NOT NULL,
  status text NOT NULL,
  proposed_by text NOT NULL,
  proposed_at timestamptz NOT NULL,
  approved_by text,
  approved_at timestamptz,
  destroyed_by text,
  destroyed_at timestamptz,
  method text,
  items jsonb NOT NULL,
  destroyed jsonb,
  certificate bytea
);
