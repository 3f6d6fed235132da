-- Reports tally a whole slice of the index (every Encounter's status, every Condition's code,
-- src/fhir/search/tally.ts). At 100,000 patients that is hundreds of thousands of rows per slice:
-- read from the heap, or probed record by record, each slice took seconds. These make a slice an
-- index-only scan joined by hash, and let the planner see how large a slice is.

-- The lookup indexes carry the owner's id, so a criterion or a grouping key never visits the heap.
-- (text_value stays out: it is free text of any length, and an index row has a size limit.)
DROP INDEX search_token_lookup;
CREATE INDEX search_token_lookup ON search_token (resource_type, param, code, system) INCLUDE (resource_id);
DROP INDEX search_date_lookup;
CREATE INDEX search_date_lookup ON search_date (resource_type, param, low, high) INCLUDE (resource_id);
DROP INDEX search_reference_lookup;
CREATE INDEX search_reference_lookup ON search_reference (resource_type, param, target_id) INCLUDE (resource_id);

-- The access filter reads deleted, patient_id and security of each matching record
-- (src/fhir/access-filter.ts): the primary key carries them, so that check is index-only too.
ALTER TABLE fhir_resource DROP CONSTRAINT fhir_resource_pkey;
ALTER TABLE fhir_resource ADD CONSTRAINT fhir_resource_pkey PRIMARY KEY (resource_type, id) INCLUDE (deleted, patient_id, security);

-- The few records that carry confidentiality labels: the filter's "is the patient labelled"
-- probe looks here instead of through every Patient.
CREATE INDEX fhir_resource_labelled ON fhir_resource (resource_type, id) WHERE security <> '{}';

-- No extended statistics on (resource_type, param, system, code): they end the planner's
-- underestimate of a report's slice, but they also turned the import's small lookups into plans
-- 30 times slower on a store of 20,000 patients. A tally forces hash joins in its own transaction
-- instead (src/fhir/search/tally.ts).
ANALYZE search_token;
ANALYZE search_date;
ANALYZE search_reference;
ANALYZE fhir_resource;
