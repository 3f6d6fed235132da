-- The patient finder matches typed names against patients' family and given names by trigram
-- similarity, Double Metaphone and Soundex, with Synthea's digit suffixes stripped. These
-- partial expression indexes let it look names up instead of scanning every name row (a finder
-- search took over a second at 50,000 patients). Only Patient family/given rows carry them.
CREATE INDEX search_string_patient_name_trgm ON search_string
  USING gin ((btrim(regexp_replace(norm, '[0-9]+', '', 'g'))) gin_trgm_ops)
  WHERE resource_type = 'Patient' AND param IN ('family', 'given');
CREATE INDEX search_string_patient_name_metaphone ON search_string
  (dmetaphone(btrim(regexp_replace(norm, '[0-9]+', '', 'g'))))
  WHERE resource_type = 'Patient' AND param IN ('family', 'given');
CREATE INDEX search_string_patient_name_soundex ON search_string
  (soundex(btrim(regexp_replace(norm, '[0-9]+', '', 'g'))))
  WHERE resource_type = 'Patient' AND param IN ('family', 'given');
