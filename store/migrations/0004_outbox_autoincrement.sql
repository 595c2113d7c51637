-- Version 4: outbox ids are never reused. Without AUTOINCREMENT SQLite
-- hands the highest id out again once that row is deleted, so an erasure
-- that deleted an acknowledgement being sent and queued its confirmation
-- under the same id let the late "sent" of the old row mark the
-- confirmation as sent: it was never delivered.
CREATE TABLE outbox_v4 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT    NOT NULL,
    suggestion_id   INTEGER REFERENCES suggestions (id) ON DELETE CASCADE,
    sender_id       TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    message         BLOB    NOT NULL,
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    sent_at         TEXT    NOT NULL DEFAULT '',
    last_error      TEXT    NOT NULL DEFAULT ''
);
INSERT INTO outbox_v4 SELECT id, channel, suggestion_id, sender_id, recipient, message, created_at,
    attempts, next_attempt_at, sent_at, last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v4 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at = '';
