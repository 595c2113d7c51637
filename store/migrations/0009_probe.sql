-- Version 9: one row that readiness probes rewrite. A probe must reach
-- the database file (its WAL), as every real write does: a TEMP table
-- lives in memory and keeps answering while the disk is full or the file
-- read-only.
CREATE TABLE probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at TEXT NOT NULL
);

-- Erasure tombstones: a keyed hash (HMAC under the sender key) of the id of
-- each text an erasure deleted (its MessageSid, or the Android event id),
-- and nothing else: no content, no number. A webhook retry or a backfill of
-- the same id is then refused instead of storing the text again.
CREATE TABLE erased_ids (
	id_hash TEXT PRIMARY KEY
) WITHOUT ROWID;
