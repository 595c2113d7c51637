package main

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

func TestForgetUsage(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"forget", "--db", db}, "exactly one of --email, --phone and --ref"},
		{[]string{"forget", "--db", db, "--email", "a@example.org", "--ref", "K7F-3Q2"}, "exactly one"},
		{[]string{"forget", "--db", db, "--email", "not an address"}, "--email"},
		{[]string{"forget", "--db", db, "--phone", "call me"}, "--phone"},
		{[]string{"forget", "--db", db, "extra"}, "unexpected argument"},
		{[]string{"purge", "--db", db, "--raw-older-than", "soon"}, "--raw-older-than"},
	} {
		code, _, stderr := run(t, keyEnv, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("intake %v: code %d, stderr %q; want 2 mentioning %q", tt.args, code, stderr, tt.want)
		}
	}
	if code, _, stderr := run(t, keyEnv, "forget", "--db", db, "--ref", "K7F-3Q2"); code != exitFailure || !strings.Contains(stderr, "no suggestion has the reference K7F-3Q2") {
		t.Errorf("unknown ref: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run(t, nil, "forget", "--db", db, "--email", "a@example.org"); code != exitFailure || !strings.Contains(stderr, "INTAKE_SENDER_KEY") {
		t.Errorf("without the key: code %d, stderr %q", code, stderr)
	}
}

// TestForgetEmail ingests a demo email through `intake ingest`, erases its
// sender with `intake forget --email` typed differently, and checks the
// database files and the log.
func TestForgetEmail(t *testing.T) {
	db := filepath.Join(t.TempDir(), "intake.db")
	if code, out, stderr := run(t, keyEnv, "ingest", "--db", db, "demodata/01-en-reply.eml", "demodata/04-sw-short.eml"); code != exitOK {
		t.Fatalf("ingest: %d %s %s", code, out, stderr)
	}
	raw, _ := os.ReadFile(db)
	wal, _ := os.ReadFile(db + "-wal")
	if !bytes.Contains(append(raw, wal...), []byte("amina.w@example.net")) {
		t.Fatal("the address is not in the database before erasure: the byte search proves nothing")
	}
	code, out, stderr := run(t, keyEnv, "forget", "--db", db, "--email", "Amina W <AMINA.W@Example.NET>")
	if code != exitOK || !strings.Contains(out, "erased sender s_") || !strings.Contains(out, "1 suggestions") {
		t.Fatalf("forget: code %d, out %q, stderr %q", code, out, stderr)
	}
	id := regexp.MustCompile(`s_[0-9a-f]+`).FindString(out)
	if !strings.Contains(stderr, "staff erased a sender") || !strings.Contains(stderr, id) || strings.Contains(strings.ToLower(stderr), "amina") {
		t.Errorf("log must name the pseudonymous id and not the address:\n%s", stderr)
	}
	raw, _ = os.ReadFile(db)
	wal, _ = os.ReadFile(db + "-wal")
	for _, n := range []string{"amina.w@example.net", "Amina Wanjiru", "boreholes"} {
		if bytes.Contains(append(raw, wal...), []byte(n)) {
			t.Errorf("%q still in the database files after forget", n)
		}
	}
	_, out, _ = run(t, keyEnv, "export", "--db", db, "--format", "jsonl")
	if strings.Contains(out, "boreholes") || strings.Count(out, "\n") != 1 {
		t.Errorf("export after forget should hold only the other suggestion:\n%s", out)
	}
	// Again: nothing left, the opt-out stays.
	code, out, _ = run(t, keyEnv, "forget", "--db", db, "--email", "amina.w@example.net")
	if code != exitOK || !strings.Contains(out, "nothing stored") {
		t.Errorf("second forget: code %d, %q", code, out)
	}
}

// TestForgetPhoneAndPurge: a texter erased by a national number read in
// the configured region, and `intake purge` over old raw payloads.
func TestForgetPhoneAndPurge(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "intake.db")
	cfg := filepath.Join(dir, "intake.toml")
	os.WriteFile(cfg, []byte("[sms.twilio]\ndefault_region = \"KE\"\n[privacy]\nraw_retention = \"90d\"\n"), 0o600)
	ctx := context.Background()
	old := time.Now().Add(-200 * 24 * time.Hour)
	st, err := store.Open(ctx, db, store.Options{SenderKey: []byte(keyEnv["INTAKE_SENDER_KEY"]), Now: func() time.Time { return old }})
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"MessageSid": {"SM1"}, "From": {"+254712345678"}, "Body": {"the hippobridge is down"}}
	if _, err := st.RecordSMS(ctx, store.SMSInput{Source: "twilio", MessageSID: "SM1", Raw: []byte(form.Encode()),
		From: "+254712345678", Body: "the hippobridge is down", Campaign: "river"}, nil); err != nil {
		t.Fatal(err)
	}
	rc, err := st.ReceiveEmail(ctx, store.EmailItem{Source: "INBOX", Raw: []byte("From: x@example.org\r\nX-Mailer: rawonlyibis\r\n\r\nold idea\r\n")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveEmail(ctx, rc.LedgerID, "c", &parser.Email{From: "x@example.org", Body: "old idea", Disposition: parser.DispSuggestion}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, stderr := run(t, keyEnv, "forget", "--config", cfg, "--db", db, "--phone", "0712 345 678")
	if code != exitOK || !strings.Contains(out, "1 suggestions") {
		t.Fatalf("forget --phone: code %d, out %q, stderr %q", code, out, stderr)
	}
	code, out, stderr = run(t, keyEnv, "purge", "--config", cfg, "--db", db)
	if code != exitOK || !strings.Contains(out, "raw payloads dropped 1") || !strings.Contains(out, "scrubbed") {
		t.Fatalf("purge: code %d, out %q, stderr %q", code, out, stderr)
	}
	b, _ := os.ReadFile(db)
	w, _ := os.ReadFile(db + "-wal")
	for _, n := range []string{"254712345678", "hippobridge", "rawonlyibis"} {
		if bytes.Contains(append(b, w...), []byte(n)) {
			t.Errorf("%q still in the database files", n)
		}
	}
	st, err = store.Open(ctx, db, store.Options{SenderKey: []byte(keyEnv["INTAKE_SENDER_KEY"])})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if ok, _ := st.OptedOut(ctx, st.SenderID("+254712345678")); !ok {
		t.Error("no opt-out kept for the erased number")
	}
	if n, err := st.CountSuggestions(ctx, store.Filter{}); err != nil || n != 1 {
		t.Errorf("suggestions after purge = %d, %v; want the email's 1 (retention keeps parsed text)", n, err)
	}
	if _, err := st.Suggestion(ctx, "K7F-3Q2", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("lookup of an unknown ref: %v", err)
	}
}
