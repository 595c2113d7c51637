-- PostgreSQL, version 12: near-duplicate groups (see the SQLite migration
-- of the same number). Substring search needs nothing new here: the
-- trigram index of version 6 covers every script.
ALTER TABLE suggestions ADD COLUMN group_id bigint NOT NULL DEFAULT 0;
ALTER TABLE suggestions ADD COLUMN group_size bigint NOT NULL DEFAULT 0;
CREATE INDEX suggestions_group ON suggestions (group_id, id);
CREATE INDEX suggestions_group_time ON suggestions (group_id, received_at);
-- The staff list filters by channel and language, newest first; with a
-- broad search this index is read and each entry checked against the
-- search's matches (store/search.go).
CREATE INDEX suggestions_facets ON suggestions (channel, language, disposition, received_at);
