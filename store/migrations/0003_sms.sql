-- Version 3: SMS keywords. A text that was a keyword (opt-out, opt-in,
-- help, delete) keeps its intent on its ledger row, so an erasure request
-- stays findable even before erasure is implemented, and a retried
-- webhook is answered as the first time.
ALTER TABLE ledger ADD COLUMN intent TEXT NOT NULL DEFAULT '';
CREATE INDEX ledger_intent ON ledger (intent) WHERE intent <> '';
