-- Version 6: the index on the ledger's link to suggestions keeps only the
-- rows that have one. Every email is received without a suggestion and
-- linked to one a moment later, so the entry for "no suggestion" was
-- written and deleted again for each message, and nothing looks it up:
-- every query asks for given suggestions, which SQLite knows are not NULL.
DROP INDEX ledger_suggestion;
CREATE INDEX ledger_suggestion ON ledger (suggestion_id) WHERE suggestion_id IS NOT NULL;
