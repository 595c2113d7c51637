-- Hardening. Staff without contact access read suggestions with the phone
-- numbers and addresses participants wrote masked ([phone], [email]); their
-- searches must not reach the unmasked words, or a prefix search and its
-- match count spell a number out digit by digit. The store keeps a masked
-- copy of subject and body (filled by the store, which knows the phone
-- regions: NULL until then, and then found by no masked search) and a
-- second full-text index over it, contentless: it holds no text of its own.
ALTER TABLE suggestions ADD COLUMN subject_redacted TEXT;
ALTER TABLE suggestions ADD COLUMN body_redacted TEXT;
CREATE VIRTUAL TABLE suggestions_redacted_fts USING fts5 (
    subject, body,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER suggestions_redacted_ai AFTER INSERT ON suggestions WHEN new.body_redacted IS NOT NULL BEGIN
    INSERT INTO suggestions_redacted_fts (rowid, subject, body) VALUES (new.id, new.subject_redacted, new.body_redacted);
END;
CREATE TRIGGER suggestions_redacted_ad AFTER DELETE ON suggestions WHEN old.body_redacted IS NOT NULL BEGIN
    INSERT INTO suggestions_redacted_fts (suggestions_redacted_fts, rowid, subject, body)
        VALUES ('delete', old.id, old.subject_redacted, old.body_redacted);
END;
CREATE TRIGGER suggestions_redacted_au_old AFTER UPDATE OF subject_redacted, body_redacted ON suggestions
        WHEN old.body_redacted IS NOT NULL BEGIN
    INSERT INTO suggestions_redacted_fts (suggestions_redacted_fts, rowid, subject, body)
        VALUES ('delete', old.id, old.subject_redacted, old.body_redacted);
END;
CREATE TRIGGER suggestions_redacted_au_new AFTER UPDATE OF subject_redacted, body_redacted ON suggestions
        WHEN new.body_redacted IS NOT NULL BEGIN
    INSERT INTO suggestions_redacted_fts (rowid, subject, body) VALUES (new.id, new.subject_redacted, new.body_redacted);
END;
-- The phone regions the masked copies were made with; other regions mean
-- masking everything again.
CREATE TABLE redaction (regions TEXT NOT NULL);
INSERT INTO redaction (regions) VALUES ('');

-- Staff sessions, so that logging out (or removing a token from the
-- configuration) ends them on every gateway sharing the database. The
-- cookie carries the id; the store keeps only its SHA-256.
CREATE TABLE staff_sessions (
    id_hash    TEXT PRIMARY KEY,
    token_id   TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX staff_sessions_token ON staff_sessions (token_id);
CREATE INDEX staff_sessions_expires ON staff_sessions (expires_at);
