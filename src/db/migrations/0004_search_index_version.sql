-- Which version of the search index the stored index rows were built by. When an upgrade
-- indexes more (composite parameters came with version 2), the server rebuilds the rows of
-- older records at start (src/fhir/reindex.ts), so they are found like new ones. No row: the
-- rows predate this table (version 1).
CREATE TABLE search_index_state (
  id int PRIMARY KEY CHECK (id = 1),
  version int NOT NULL
);
