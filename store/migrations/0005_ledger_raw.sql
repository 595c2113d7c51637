-- Version 5: a ledger item's payload moves to a table of its own. Marking
-- an item parsed or linking it to its suggestion then rewrites a short
-- row, not the whole message with it (that rewrite was most of the cost
-- of draining a mailbox), and dropping a payload is one DELETE.
CREATE TABLE ledger_raw (
    ledger_id INTEGER PRIMARY KEY REFERENCES ledger (id) ON DELETE CASCADE,
    raw       BLOB NOT NULL                  -- MIME bytes, or the form as posted (URL-encoded)
);
INSERT INTO ledger_raw (ledger_id, raw) SELECT id, raw FROM ledger WHERE raw IS NOT NULL;
ALTER TABLE ledger DROP COLUMN raw;

-- The content hash only identifies emails without a Message-ID (the
-- others are matched by it): index just those. Hashes are random, so
-- every indexed one dirtied a page of its own.
DROP INDEX ledger_content_hash;
CREATE INDEX ledger_content_hash ON ledger (content_hash) WHERE external_id IS NULL;
