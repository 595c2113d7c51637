-- Version 7: the quoted messages the parser removed from an email's body,
-- with their attributions and header blocks, kept so staff can check a
-- strip and read an inline reply in context. '' for SMS and for the rows
-- stored before this version. It often holds the participant's own name
-- and address (a "To:" line, "On ..., Amina <amina@...> wrote:"): it is
-- not indexed for search, is shown only to staff with contact access, and
-- is exported only when asked for (export --with-quotes).
ALTER TABLE suggestions ADD COLUMN quoted TEXT NOT NULL DEFAULT '';
