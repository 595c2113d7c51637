-- PostgreSQL, version 7: the quoted messages removed from an email's body
-- (see the SQLite migration of the same number). Not part of the search
-- vector or the trigram index.
ALTER TABLE suggestions ADD COLUMN quoted text NOT NULL DEFAULT '';
