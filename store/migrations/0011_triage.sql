-- Staff triage: a review state per suggestion, staff labels, and the
-- audit of every change to either. Spam and duplicates stay in the
-- database (nothing a participant wrote disappears) but leave the default
-- list and export.
ALTER TABLE suggestions ADD COLUMN state TEXT NOT NULL DEFAULT 'new'
    CHECK (state IN ('new', 'reviewed', 'spam', 'duplicate'));

-- A label is matched by its key (trimmed, spaces collapsed, case-folded)
-- and shown as it was first typed.
CREATE TABLE labels (
    id   INTEGER PRIMARY KEY,
    key  TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

CREATE TABLE suggestion_labels (
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    label_id      INTEGER NOT NULL REFERENCES labels (id),
    PRIMARY KEY (suggestion_id, label_id)
) WITHOUT ROWID;
CREATE INDEX suggestion_labels_label ON suggestion_labels (label_id, suggestion_id);

-- Who changed what, when. It holds a staff token's name, states and label
-- names, never a participant's text; an erasure deletes the suggestion's
-- rows with it.
CREATE TABLE triage_audit (
    id            INTEGER PRIMARY KEY,
    suggestion_id INTEGER NOT NULL REFERENCES suggestions (id) ON DELETE CASCADE,
    at            TEXT NOT NULL,                -- RFC 3339, UTC
    staff         TEXT NOT NULL,                -- the token's name
    field         TEXT NOT NULL CHECK (field IN ('state', 'label')),
    old           TEXT NOT NULL DEFAULT '',     -- state before, or the label removed
    new           TEXT NOT NULL DEFAULT ''      -- state after, or the label added
);
CREATE INDEX triage_audit_suggestion ON triage_audit (suggestion_id, id);
