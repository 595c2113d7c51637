-- PostgreSQL: hardening (see the SQLite migration of the same number). The
-- masked copy of subject and body gets its own generated tsvector and GIN
-- index; a row not masked yet (NULL) matches no masked search.
ALTER TABLE suggestions ADD COLUMN subject_redacted text;
ALTER TABLE suggestions ADD COLUMN body_redacted text;
ALTER TABLE suggestions ADD COLUMN search_redacted tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('intake_search', translate(coalesce(subject_redacted, ''), '<>', '  ')), 'A') ||
    setweight(to_tsvector('intake_search', translate(coalesce(body_redacted, ''), '<>', '  ')), 'B')) STORED;
CREATE INDEX suggestions_search_redacted ON suggestions USING gin (search_redacted);
CREATE TABLE redaction (regions text NOT NULL);
INSERT INTO redaction (regions) VALUES ('');

CREATE TABLE staff_sessions (
    id_hash    text PRIMARY KEY,
    token_id   text NOT NULL,
    created_at text NOT NULL,
    expires_at text NOT NULL
);
CREATE INDEX staff_sessions_token ON staff_sessions (token_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
