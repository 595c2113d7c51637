-- PostgreSQL, version 9: the transport a suggestion came through (see
-- the SQLite migration of the same number).
ALTER TABLE suggestions ADD COLUMN transport text NOT NULL DEFAULT '';
UPDATE suggestions SET transport = 'twilio' WHERE channel = 'sms';
