package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/store"
)

// TestExportChannelWhatsApp: --channel takes whatsapp, and an export of
// it holds the WhatsApp message alone, with its transport.
func TestExportChannelWhatsApp(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intake.db")
	st, err := store.Open(context.Background(), db, store.Options{SenderKey: []byte(keyEnv["INTAKE_SENDER_KEY"])})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []store.SMSInput{
		{Source: "twilio", MessageSID: "SM1", Raw: []byte("x"), From: "+254712345678", Body: "By WhatsApp", Channel: "whatsapp"},
		{Source: "android:kenya", MessageSID: "ev1", Raw: []byte("x"), From: "+254722000000", Body: "By SMS to a local number"},
	} {
		if _, err := st.RecordSMS(context.Background(), in, nil); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	code, out, stderr := run(t, keyEnv, "export", "--db", db, "--format", "jsonl", "--channel", "whatsapp")
	if code != exitOK || strings.Count(out, "\n") != 1 || !strings.Contains(out, `"channel":"whatsapp"`) || !strings.Contains(out, `"transport":"twilio"`) {
		t.Errorf("export --channel whatsapp: %d %s %s", code, out, stderr)
	}
	code, out, _ = run(t, keyEnv, "stats", "--db", db, "--channel", "sms")
	if code != exitOK || !strings.Contains(out, "sms") {
		t.Errorf("stats --channel sms: %d %s", code, out)
	}
	if code, _, _ := run(t, keyEnv, "export", "--db", db, "--channel", "fax"); code != exitUsage {
		t.Errorf("export --channel fax: exit %d, want %d", code, exitUsage)
	}
	if code, _, stderr := run(t, keyEnv, "sms", "backfill", "--db", db); code != exitFailure || !strings.Contains(stderr, "TWILIO_ACCOUNT_SID") {
		t.Errorf("sms backfill without an account SID: %d %s", code, stderr)
	}
	if code, _, _ := run(t, keyEnv, "sms", "fetch"); code != exitUsage {
		t.Errorf("sms fetch: exit %d, want %d", code, exitUsage)
	}
}
