-- PostgreSQL, version 9: the row readiness probes rewrite (see the SQLite
-- migration of the same number).
CREATE TABLE probe (
	id integer PRIMARY KEY CHECK (id = 1),
	at text NOT NULL
);

-- Erasure tombstones (see the SQLite migration of the same number).
CREATE TABLE erased_ids (
	id_hash text PRIMARY KEY
);
