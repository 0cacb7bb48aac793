-- A regulator lists every institution's queries newest first: without this index that is a
-- scan and sort of the whole table (seconds at a million queries).
CREATE INDEX score_queries_by_time ON score_queries (created_ms, id);
