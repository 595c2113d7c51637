package privacy

import (
	"context"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/parser"
	"github.com/intake-gateway/intake/store"
)

func TestEmailEraserIsRequest(t *testing.T) {
	x := NewEmailEraser(config.Default().SMS.Twilio.Keywords, nil, nil, nil)
	mk := func(subject string, d parser.Disposition) *parser.Email {
		return &parser.Email{From: "a@example.org", Subject: subject, Disposition: d}
	}
	tests := []struct {
		e    *parser.Email
		want bool
		lang string
	}{
		{mk("DELETE", parser.DispEmpty), true, "en"},
		{mk("delete.", parser.DispSuggestion), true, "en"},
		{mk("Supprimer", parser.DispEmpty), true, "fr"},
		{mk("futa", parser.DispEmpty), true, "sw"},
		{mk("احذف", parser.DispEmpty), true, "ar"},
		{mk("Re: DELETE", parser.DispSuggestion), false, ""},
		{mk("Delete the new fee", parser.DispSuggestion), false, ""},
		{mk("STOP", parser.DispEmpty), false, ""},
		{mk("DELETE", parser.DispAutoReply), false, ""},
		{mk("DELETE", parser.DispBounce), false, ""},
		{&parser.Email{Subject: "DELETE"}, false, ""},
		{nil, false, ""},
	}
	for _, tt := range tests {
		got, lang := x.IsRequest(tt.e)
		if got != tt.want || lang != tt.lang {
			t.Errorf("IsRequest(%+v) = %v, %q; want %v, %q", tt.e, got, lang, tt.want, tt.lang)
		}
	}
	custom := config.Default()
	custom.SMS.Twilio.Keywords.Delete = []string{"OLOA"}
	x = NewEmailEraser(custom.SMS.Twilio.Keywords, nil, nil, nil)
	if ok, _ := x.IsRequest(mk("oloa", parser.DispEmpty)); !ok {
		t.Error("configured keyword OLOA not recognised")
	}
	if ok, _ := x.IsRequest(mk("DELETE", parser.DispEmpty)); ok {
		t.Error("DELETE recognised though the configured list replaces it")
	}
}

// TestRetentionLoop runs the real loop with a short tick: it purges old
// raw payloads and contacts from the first run, finishes an erasure whose
// request was stored but not carried out, and stops with its context.
func TestRetentionLoop(t *testing.T) {
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	st, path := testutil.OpenStore(t, store.Options{SenderKey: []byte("privacy test key, 32 bytes long!"), Now: clock.Now})
	// The raw payload alone holds the X-Mailer token.
	oldRaw := append([]byte("X-Mailer: rawpayloadheron 1.0\r\n"), testutil.Email("old@participant.example", "o1@x", "Old", "An old suggestion")...)
	testutil.SaveEmail(t, st, store.EmailItem{Source: "INBOX", Raw: oldRaw}, "c", nil)
	// A DELETE text stored without its erasure (as when Erase failed).
	if _, err := st.RecordSMS(ctx, store.SMSInput{Source: "twilio", MessageSID: "SMdel", Raw: []byte("From=%2B254712345678&Body=DELETE"),
		From: "+254712345678", Body: "DELETE", Intent: parser.IntentDelete}, nil); err != nil {
		t.Fatal(err)
	}
	clock.Advance(100 * 24 * time.Hour)
	testutil.SaveEmail(t, st, store.EmailItem{Source: "INBOX", Raw: testutil.Email("new@participant.example", "n1@x", "New", "A recent one")}, "c", nil)

	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		retentionLoop(st, retentionOf(config.Privacy{RawRetention: "90d", ContactRetention: "90d"}), nil, 10*time.Millisecond)(lctx)
		close(done)
	}()
	db := testutil.OpenDB(t, path)
	deadline := time.Now().Add(10 * time.Second)
	for {
		raw := testutil.Count(t, db, `SELECT count(*) FROM ledger_raw`)
		contacts := testutil.Count(t, db, `SELECT count(*) FROM contacts`)
		pending := testutil.Count(t, db, `SELECT count(*) FROM ledger WHERE intent = 'delete'`)
		if raw == 1 && contacts == 1 && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 10s: %d raw payloads, %d contacts, %d pending erasures; want 1, 1, 0", raw, contacts, pending)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := testutil.Count(t, db, `SELECT count(*) FROM suggestions`); n != 2 {
		t.Errorf("%d suggestions, want 2: retention keeps the parsed text", n)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("retention loop did not stop with its context")
	}
	testutil.InFiles(t, path, false, "rawpayloadheron", "old@participant.example", "254712345678")
}

func TestRunRetentionNothingConfigured(t *testing.T) {
	st, _ := testutil.OpenStore(t, store.Options{SenderKey: []byte("k")})
	r, err := RunRetention(context.Background(), st, Retention{}, nil)
	if err != nil || r != (RetentionResult{}) {
		t.Errorf("RunRetention with nothing configured = %+v, %v", r, err)
	}
}
