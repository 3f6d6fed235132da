-- No query looks up search_reference by target alone (includes and chains go through
-- search_reference_lookup with the source type and parameter), and every index costs each write.
DROP INDEX search_reference_target;
