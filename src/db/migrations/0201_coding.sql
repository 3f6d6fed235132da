-- Code sets (ICD-10-CM, ICD-10-PCS, HCPCS, and licensed CPT/SNOMED CT/LOINC files a site loads itself),
-- keyed by (system, version). version is the fiscal year for ICD-10-CM/PCS, the calendar year for HCPCS,
-- and whatever release label a licensed file declares.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- One row per loaded release file: re-loading the same bytes is skipped, changed bytes replace that file's rows.
CREATE TABLE code_set_file (
  system text NOT NULL,
  version text NOT NULL,
  part text NOT NULL,
  file_name text NOT NULL,
  sha256 text NOT NULL,
  row_count integer NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system, version, part)
);

-- Every code and header: code is stored as published (with the dot for ICD-10-CM), code_key without it.
CREATE TABLE code_entry (
  system text NOT NULL,
  version text NOT NULL,
  code_key text NOT NULL,
  code text NOT NULL,
  display text NOT NULL,
  short_display text,
  billable boolean NOT NULL,
  kind text NOT NULL,
  parent_key text,
  sort_order integer NOT NULL,
  valid_from date,
  valid_to date,
  PRIMARY KEY (system, version, code_key)
);
CREATE INDEX code_entry_display_trgm ON code_entry USING gin (lower(display) gin_trgm_ops);

-- Chapters and sections (blocks) of a tabular list: the levels above the categories.
CREATE TABLE code_group (
  system text NOT NULL,
  version text NOT NULL,
  level text NOT NULL,
  group_id text NOT NULL,
  title text NOT NULL,
  first_code text NOT NULL,
  last_code text NOT NULL,
  parent_id text,
  sort_order integer NOT NULL,
  PRIMARY KEY (system, version, level, group_id)
);

-- Tabular instructional notes, attached to the level they are printed at (chapter, section or a code).
-- owner_level is 'chapter' | 'section' | 'code'; for 'code' owner_id is the code_key.
CREATE TABLE code_note (
  system text NOT NULL,
  version text NOT NULL,
  owner_level text NOT NULL,
  owner_id text NOT NULL,
  kind text NOT NULL,
  seq integer NOT NULL,
  chr text,
  text text NOT NULL,
  PRIMARY KEY (system, version, owner_level, owner_id, kind, seq)
);
