-- Version 9: one row that readiness probes rewrite. A probe must reach
-- the database file (its WAL), as every real write does: a TEMP table
-- lives in memory and keeps answering while the disk is full or the file
-- read-only.
CREATE TABLE probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at TEXT NOT NULL
);
