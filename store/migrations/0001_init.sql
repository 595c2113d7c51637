-- Version 1: the first schema. Never edit a released migration; add a new file.

-- Every inbound item exactly as received. Nothing here is ever rewritten
-- except its status, its link to a suggestion, and (after retention) raw.
CREATE TABLE ledger (
    id            INTEGER PRIMARY KEY,
    channel       TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    source        TEXT    NOT NULL,              -- mailbox name, file path batch, or 'twilio'
    uid_validity  INTEGER,                       -- email from IMAP
    uid           INTEGER,                       -- email from IMAP
    external_id   TEXT,                          -- Message-ID (email) or MessageSid (sms)
    content_hash  TEXT    NOT NULL,              -- hex sha256 of raw
    raw           BLOB,                          -- MIME bytes, or the form as posted (URL-encoded)
    size          INTEGER NOT NULL,
    sender_id     TEXT    NOT NULL DEFAULT '',   -- pseudonymous id, once known
    received_at   TEXT    NOT NULL,              -- RFC 3339, UTC
    status        TEXT    NOT NULL DEFAULT 'received'
                          CHECK (status IN ('received', 'parsed', 'quarantined')),
    error         TEXT    NOT NULL DEFAULT '',
    response      TEXT    NOT NULL DEFAULT '',   -- what was answered (SMS), replayed on retries
    suggestion_id INTEGER REFERENCES suggestions (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX ledger_imap_identity ON ledger (source, uid_validity, uid) WHERE uid IS NOT NULL;
CREATE UNIQUE INDEX ledger_external_identity ON ledger (channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX ledger_content_hash ON ledger (content_hash);
CREATE INDEX ledger_pending ON ledger (status) WHERE status = 'received';
CREATE INDEX ledger_suggestion ON ledger (suggestion_id);
CREATE INDEX ledger_sender ON ledger (sender_id);

-- What participants newly wrote. No address or phone number lives here.
CREATE TABLE suggestions (
    id           INTEGER PRIMARY KEY,
    ref          TEXT    NOT NULL UNIQUE,        -- public reference, e.g. K7F-3Q2
    channel      TEXT    NOT NULL,
    campaign     TEXT    NOT NULL DEFAULT '',
    sender_id    TEXT    NOT NULL DEFAULT '',
    received_at  TEXT    NOT NULL,               -- RFC 3339, UTC, of the first item
    updated_at   TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL DEFAULT '',
    signature    TEXT    NOT NULL DEFAULT '',
    language     TEXT    NOT NULL DEFAULT '',
    disposition  TEXT    NOT NULL DEFAULT 'suggestion',
    tags         TEXT    NOT NULL DEFAULT '',    -- comma-separated
    attachments  TEXT    NOT NULL DEFAULT '[]',  -- JSON array of parser.Attachment
    message_id   TEXT    NOT NULL DEFAULT ''     -- email: for In-Reply-To on acknowledgements
);
CREATE INDEX suggestions_received ON suggestions (received_at);
CREATE INDEX suggestions_sender ON suggestions (sender_id, channel, received_at);

-- Who is behind a pseudonymous id. Kept apart so exports can leave it out.
CREATE TABLE contacts (
    sender_id    TEXT PRIMARY KEY,               -- HMAC-SHA256(sender key, address)
    kind         TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
    address      TEXT NOT NULL,                  -- lower-cased email, or E.164
    display_name TEXT NOT NULL DEFAULT '',
    language     TEXT NOT NULL DEFAULT '',
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    last_ack_at  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE opt_outs (
    sender_id    TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    opted_out_at TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT ''        -- keyword, OptOutType, erasure
);

CREATE TABLE checkpoints (
    mailbox      TEXT PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL
);

CREATE VIRTUAL TABLE suggestions_fts USING fts5 (
    subject, body,
    content = 'suggestions', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER suggestions_ai AFTER INSERT ON suggestions BEGIN
    INSERT INTO suggestions_fts (rowid, subject, body) VALUES (new.id, new.subject, new.body);
END;
CREATE TRIGGER suggestions_ad AFTER DELETE ON suggestions BEGIN
    INSERT INTO suggestions_fts (suggestions_fts, rowid, subject, body) VALUES ('delete', old.id, old.subject, old.body);
END;
CREATE TRIGGER suggestions_au AFTER UPDATE OF subject, body ON suggestions BEGIN
    INSERT INTO suggestions_fts (suggestions_fts, rowid, subject, body) VALUES ('delete', old.id, old.subject, old.body);
    INSERT INTO suggestions_fts (rowid, subject, body) VALUES (new.id, new.subject, new.body);
END;
