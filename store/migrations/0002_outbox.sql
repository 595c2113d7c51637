-- Version 2: acknowledgements waiting to be sent, so a failing mail server
-- never delays or loses a suggestion.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    channel         TEXT    NOT NULL,            -- 'email'
    suggestion_id   INTEGER REFERENCES suggestions (id) ON DELETE CASCADE,
    sender_id       TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    message         BLOB    NOT NULL,            -- the full message to submit
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    sent_at         TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at = '';
