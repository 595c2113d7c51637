-- Version 9: the transport a suggestion came through, for staff and
-- exports: "twilio" or "android:NAME" (a phone with a local SIM) for
-- texts and WhatsApp messages, "" for email. The channel says what the
-- participant used (email, sms, whatsapp); the transport says whose
-- number they wrote to. Every text so far came through Twilio.
ALTER TABLE suggestions ADD COLUMN transport TEXT NOT NULL DEFAULT '';
UPDATE suggestions SET transport = 'twilio' WHERE channel = 'sms';
