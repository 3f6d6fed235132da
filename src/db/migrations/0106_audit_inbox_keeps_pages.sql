-- The audit inbox is a queue: every answered read adds a row, the filer deletes them in batches,
-- VACUUM reclaims them. A VACUUM that found the inbox empty cut its file to nothing, and the
-- statements that probe the inbox by seq on the path of every read (is the remembered head still
-- the last link?) were then planned for an empty table: a sequential scan, kept as the inbox
-- filled again with live and dead rows, until the plan was next made. With its pages kept (the
-- space is reused after each VACUUM) the planner sees a table with pages and uses the primary key.
-- A server gains too: truncation takes an exclusive lock that would stall the reads recording.
ALTER TABLE audit_inbox SET (vacuum_truncate = false);
